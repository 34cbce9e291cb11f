//! Spawns the application on port 0 against a fresh database per test.

use std::sync::LazyLock;

use diesel::{Connection, PgConnection, RunQueryDsl};
use nattplats::config::{ClockMode, DatabaseUrl, Settings};
use nattplats::startup::Application;
use reqwest::{Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PG_ENV: &str = "NATTPLATS_TEST_POSTGRES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares each test twice: `NAME::sqlite` and `NAME::postgres`.
macro_rules! backend_tests {
    ($( $(#[$m:meta])* async fn $name:ident($b:ident: Backend) $body:block )*) => {$(
        $(#[$m])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::helpers::Backend;

            async fn body($b: Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body(Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_enabled() {
                    body(Backend::Postgres).await
                }
            }
        }
    )*};
}

/// Whether the PostgreSQL run is on. When the variable is set, a server
/// that cannot be reached fails the test; it is never skipped silently.
pub fn postgres_enabled() -> bool {
    let on = std::env::var(PG_ENV).is_ok();
    if !on {
        eprintln!("not run on PostgreSQL: set {PG_ENV}=postgres://USER@HOST:PORT/postgres");
    }
    on
}

/// Every log line the service writes during the test run, kept so a test
/// can prove that no personal data reaches the log.
pub static LOG: LazyLock<std::sync::Mutex<Vec<u8>>> = LazyLock::new(Default::default);

/// Every guest name the tests have sent to the service (through
/// [`TestApp::post`]), and every log line found to contain one. Each log
/// line of the whole suite is checked as it is written, and every test's
/// app checks, when it is dropped, that none was found so far.
static GUEST_NAMES: LazyLock<std::sync::Mutex<std::collections::HashSet<String>>> =
    LazyLock::new(Default::default);
static NAMES_IN_LOG: LazyLock<std::sync::Mutex<Vec<String>>> = LazyLock::new(Default::default);

/// The names (of at least three letters) that occur in `line` as words.
pub fn names_in(line: &str, names: &std::collections::HashSet<String>) -> Vec<String> {
    names
        .iter()
        .filter(|n| n.chars().count() >= 3)
        .filter(|n| {
            line.match_indices(n.as_str()).any(|(i, m)| {
                let before = line[..i].chars().next_back();
                let after = line[i + m.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
        })
        .cloned()
        .collect()
}

fn remember_guest_names(path: &str, body: &Value) {
    if path != "/api/v1/guests" {
        return;
    }
    if let Ok(mut names) = GUEST_NAMES.lock() {
        for field in ["given_name", "family_name"] {
            if let Some(n) = body[field].as_str() {
                names.insert(n.trim().to_owned());
            }
        }
    }
}

#[derive(Clone, Copy)]
struct CapturingWriter;

impl std::io::Write for CapturingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = LOG.lock() {
            log.extend_from_slice(buf);
        }
        let line = String::from_utf8_lossy(buf);
        let found = GUEST_NAMES
            .lock()
            .map(|n| names_in(&line, &n))
            .unwrap_or_default();
        if !found.is_empty()
            && let Ok(mut bad) = NAMES_IN_LOG.lock()
        {
            bad.push(format!("{found:?} in {line}"));
        }
        if std::env::var("TEST_LOG").is_ok() {
            std::io::stdout().write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static TRACING: LazyLock<()> = LazyLock::new(|| {
    nattplats::telemetry::init_with_writer(nattplats::config::LogFormat::Json, || CapturingWriter);
});

/// The log so far, as text.
pub fn log_text() -> String {
    LOG.lock()
        .map(|l| String::from_utf8_lossy(&l).into_owned())
        .unwrap_or_default()
}

/// A database that exists for one test.
pub enum TestDb {
    /// The directory lives as long as the test; dropping it removes the file.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        server: String,
        name: String,
    },
}

impl TestDb {
    pub fn new(backend: Backend) -> (Self, DatabaseUrl) {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("test.db");
                (Self::Sqlite(dir), DatabaseUrl::Sqlite(path))
            }
            Backend::Postgres => {
                let server = std::env::var(PG_ENV).expect("PostgreSQL run needs its variable");
                let name = format!("nattplats_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&server).unwrap_or_else(|e| {
                    panic!("{PG_ENV} is set but PostgreSQL cannot be reached at it: {e}")
                });
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let url = database_url_on(&server, &name);
                (
                    Self::Postgres { server, name },
                    DatabaseUrl::Postgres(SecretString::from(url)),
                )
            }
        }
    }
}

/// The URL of database `name` on the server of `server_url`.
pub fn database_url_on(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server_url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Self::Postgres { server, name } = self
            && let Ok(mut conn) = PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub seed: bool,
    pub manual_clock: bool,
}

pub struct TestApp {
    pub settings: Settings,
    pub address: String,
    pub client: reqwest::Client,
    pub admin_token: String,
    /// Dropped with the app: the test's database goes with it.
    _db: TestDb,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_with(
        backend,
        Options {
            seed: true,
            manual_clock: true,
        },
    )
    .await
}

pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
    LazyLock::force(&TRACING);
    let (db, url) = TestDb::new(backend);
    let mut settings = Settings::for_database(url);
    settings.seed = options.seed.then(|| "stockholm-2019".to_owned());
    settings.clock = if options.manual_clock {
        ClockMode::Manual
    } else {
        ClockMode::System
    };
    settings.bootstrap_admin = Some(nattplats::config::BootstrapAdmin {
        username: ADMIN.to_owned(),
        password: SecretString::from(ADMIN_PASSWORD.to_owned()),
    });
    // The summaries' log is left as the acts write it, so every report
    // and count a test reads adds the log to what is folded; tests of the
    // fold fold when they choose (`nattplats::db::summaries::fold`) or
    // start an instance that folds.
    settings.fold_summaries = false;
    let address = start(&settings);
    // A connection idle longer than the server's keep-alive (actix's 5 s)
    // may be closed by the server just as a request is sent on it, which
    // the client sees as an incomplete message: never reuse one idle that
    // long (the flake of `reports::…::postgres` and `sequences::…`).
    let client = reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("client");
    let mut test_app = TestApp {
        settings,
        address,
        client,
        admin_token: String::new(),
        _db: db,
    };
    test_app.admin_token = test_app.login(ADMIN, ADMIN_PASSWORD).await;
    test_app
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let found = NAMES_IN_LOG.lock().map(|b| b.clone()).unwrap_or_default();
        assert!(found.is_empty(), "guest names reached the log: {found:#?}");
    }
}

/// Starts an application; returns its address.
fn start(settings: &Settings) -> String {
    let app = Application::build(settings).expect("build application");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    address
}

impl TestApp {
    /// A second instance of the service on the same database, as after a
    /// restart (the manual clock starts anew; set it again).
    pub fn another_instance(&self) -> String {
        start(&self.settings)
    }

    /// Another instance on the same database with changed settings.
    pub fn instance_with(&self, change: impl FnOnce(&mut Settings)) -> String {
        let mut settings = self.settings.clone();
        change(&mut settings);
        start(&settings)
    }

    /// A direct connection to the test's database.
    pub fn conn(&self) -> nattplats::db::PooledConn {
        nattplats::db::build_pool(&self.settings.database, 1)
            .get()
            .expect("database connection")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let res = self
            .post(
                "/api/v1/auth/token",
                None,
                &json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "login of {username}");
        let body: Value = res.json().await.expect("token json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        remember_guest_names(path, body);
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.put(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    /// Creates a user with `roles` at `shelters` and returns its token.
    pub async fn user_token(&self, username: &str, roles: &[&str], shelters: &[&str]) -> String {
        let password = "a-long-password-1";
        let res = self
            .post(
                "/api/v1/users",
                Some(&self.admin_token),
                &json!({"username": username, "password": password, "roles": roles, "shelter_ids": shelters}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create {username}");
        self.login(username, password).await
    }

    /// The seeded shelters, as JSON.
    pub async fn shelters(&self) -> Vec<Value> {
        let res = self.get("/api/v1/shelters", Some(&self.admin_token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("shelters json")
    }

    pub async fn set_clock(&self, now: &str) -> Value {
        let res = self
            .put(
                "/api/v1/admin/clock",
                Some(&self.admin_token),
                &json!({"now": now}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "set clock");
        res.json().await.expect("clock json")
    }
}

/// Asserts a problem+json response with `status` and `code`; returns it.
pub async fn assert_problem(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = res.json().await.expect("problem json");
    assert_eq!(body["code"], code, "code in {body}");
    assert_eq!(body["status"], status, "status in {body}");
    assert!(body["title"].is_string(), "title in {body}");
    assert!(body["detail"].is_string(), "detail in {body}");
    assert!(body["type"].is_string(), "type in {body}");
    body
}

/// The fields named in a 422 problem.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn database_urls_on_the_same_server() {
    assert_eq!(
        database_url_on("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        database_url_on("postgres://u@h:1/db?sslmode=disable", "x"),
        "postgres://u@h:1/x?sslmode=disable"
    );
    assert_eq!(database_url_on("postgres://h", "x"), "postgres://h/x");
}

#[derive(diesel::QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The one number `sql` selects, as `n` (cast to BIGINT on both backends).
pub fn number(conn: &mut nattplats::db::DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Number>(conn).unwrap().n
}
