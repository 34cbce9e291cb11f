//! Builds the application the same way for `nattplats serve` and for the
//! tests: one function makes the state (`api::state::AppState`), one binds
//! the listener. Nothing in the library imports `startup`: `main`, the
//! load tool and the tests do.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpMessage, HttpServer, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::AppExt;

use crate::api::problem::{PROBLEM_JSON, problem_response};
use crate::api::state::AppState;
use crate::auth::TokenKeys;
use crate::clock::Clock;
use crate::config::{ClockMode, JwtSecretSource, Settings};
use crate::db;
use crate::rules::RuleSet;
use crate::service::availability_cache::AvailabilityCache;
use crate::telemetry::RequestSpan;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Prepares the database (migrations, seed, first admin), then binds.
    pub fn build(settings: &Settings) -> anyhow::Result<Self> {
        let state = prepare(settings)?;
        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let server = serve(state, listener, settings.max_body_bytes)?;
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The partnership the database serves; on a database without one, the
/// Stockholm calendar and the default rules.
pub fn ensure_partnership(
    conn: &mut db::DbConnection,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<db::partnerships::Partnership> {
    let ensure = |conn: &mut db::DbConnection| {
        db::write_tx(conn, |c| {
            db::partnerships::ensure(
                c,
                "nattplats",
                db::seed::stockholm_calendar(),
                &RuleSet::defaults(db::seed::first_night_2019()),
                now,
            )
        })
    };
    // Instances started together on an empty database: the one that
    // commits second finds the first one's partnership.
    ensure(conn).or_else(|e| match e.downcast_ref::<diesel::result::Error>() {
        Some(d) if db::is_unique_violation(d) => ensure(conn),
        _ => Err(e),
    })
}

/// Opens the database, migrates it, loads the seed into an empty one,
/// makes sure a partnership and (when asked) the first admin exist.
pub fn prepare(settings: &Settings) -> anyhow::Result<web::Data<AppState>> {
    crate::web::i18n::check()?;
    crate::web::slip::check()?;
    let pool = db::build_pool(&settings.database, settings.db_pool_size);
    let mut conn = pool
        .get()
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    let applied = db::run_migrations(&mut conn)?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    let now = chrono::Utc::now().naive_utc();
    if settings.seed.is_some() && db::places::count_shelters(&mut conn)? == 0 {
        db::seed::stockholm_2019(&mut conn, now)?;
        tracing::info!("loaded the stockholm-2019 seed");
    }
    let partnership = ensure_partnership(&mut conn, now)?;
    if settings.bootstrap_admin.is_none()
        && settings.seed.is_some()
        && db::users::count(&mut conn)? == 0
    {
        // A demo on an empty database: make an admin and say its login once,
        // on standard output, in the format of the log lines around it.
        let password = random_password();
        let secret = SecretString::from(password.clone());
        crate::service::users::bootstrap_admin(&mut conn, "admin", &secret)?;
        let others: Vec<String> = crate::service::users::demo_users(&mut conn, &secret)?
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        println!(
            "{}",
            demo_admin_line(settings.log_format, &password, &others)
        );
    }
    if let Some(admin) = &settings.bootstrap_admin {
        let created = match crate::service::users::bootstrap_admin(
            &mut conn,
            &admin.username,
            &admin.password,
        ) {
            Ok(created) => created,
            // Another instance made the first user at the same moment.
            Err(_) if db::users::count(&mut conn)? > 0 => false,
            Err(e) => return Err(e),
        };
        if created {
            tracing::info!("created the bootstrap admin");
        }
    }
    let secret = load_secret(&settings.jwt_secret)?;
    let tokens = TokenKeys::from_settings(secret.expose_secret().as_bytes(), settings)?;
    let clock = match settings.clock {
        ClockMode::System => Clock::system(),
        ClockMode::Manual => Clock::manual(chrono::Utc::now()),
    };
    let changes = crate::changes::Changes::start(&settings.database);
    // Another instance may add a rule set: read them again when it says
    // so (and after the listener reconnects).
    if changes.is_postgres() {
        let (pool, partnership) = (pool.clone(), partnership.clone());
        changes.on_heard(move || {
            let reloaded = pool
                .get()
                .map_err(anyhow::Error::from)
                .and_then(|mut c| db::partnerships::reload_rule_sets(&mut c, &partnership));
            if let Err(e) = reloaded {
                tracing::warn!(error = %e, "cannot read the rule sets again");
            }
        });
    }
    let forecast: Option<Arc<dyn crate::forecast::ForecastSource>> = match &settings.forecast {
        None => None,
        Some(crate::config::ForecastFile::Nights(p)) => {
            Some(Arc::new(crate::forecast::FileForecast(p.clone())))
        }
        Some(crate::config::ForecastFile::Smhi(p)) => {
            Some(Arc::new(crate::forecast::SmhiFileForecast(p.clone())))
        }
    };
    let reports = crate::service::reports::ReportState {
        suppress_below: settings.reports.suppress_below,
        pseudonym_secret: load_secret(&settings.reports.pseudonym_secret)?,
    };
    Ok(web::Data::new(AppState {
        checkpointer: db::Checkpointer::start(&settings.database),
        folder: if settings.fold_summaries {
            db::summaries::Folder::start(pool.clone())
        } else {
            None
        },
        web: settings.web,
        reports,
        availability: AvailabilityCache::default(),
        cors_origins: settings.cors_origins.clone(),
        changes,
        forecast,
        pool,
        clock,
        tokens,
        partnership: Arc::new(partnership),
    }))
}

/// The one line that tells the demo admin's password. With JSON logs it is
/// a JSON object like the log's own lines (timestamp, level, fields,
/// target), so a collector reading the stream can parse every line; it is
/// printed directly, never through the log, so no log filter or layer
/// sees the password.
fn demo_admin_line(format: crate::config::LogFormat, password: &str, others: &[String]) -> String {
    let message = "demo admin created; log in as \"admin\" with this password (shown only now); the demo users have the same password";
    match format {
        crate::config::LogFormat::Text => format!(
            "nattplats: demo admin created. Log in as \"admin\" with password \"{password}\" (shown only now). \
             The demo users {} have the same password.",
            others.join(", ")
        ),
        crate::config::LogFormat::Json => serde_json::json!({
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "level": "INFO",
            "fields": {"message": message, "username": "admin", "password": password, "demo_users": others},
            "target": "nattplats::startup",
        })
        .to_string(),
    }
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rand::Rng::random_range(&mut rng, 0..ALPHABET.len())] as char)
        .collect()
}

/// The signing secret: given, or read from its file, or generated into a
/// new file only the service's user can read.
fn load_secret(source: &JwtSecretSource) -> anyhow::Result<SecretString> {
    match source {
        JwtSecretSource::Value(v) => Ok(v.clone()),
        JwtSecretSource::File(path) => {
            if path.exists() {
                check_private(path)?;
                let text = fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                let text = text.trim().to_owned();
                if text.len() < 32 {
                    anyhow::bail!("{} holds fewer than 32 characters", path.display());
                }
                Ok(SecretString::from(text))
            } else {
                let mut bytes = [0u8; 48];
                rand::rng().fill_bytes(&mut bytes);
                let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                write_private(path, &text)?;
                tracing::info!(path = %path.display(), "generated a new secret");
                Ok(SecretString::from(text))
            }
        }
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    fs::write(path, text).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))
}

#[cfg(unix)]
fn check_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "{} can be read by other users; run: chmod 600 {}",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// The label of every request no route matched. Each unknown address
/// being a label of its own let anyone grow `/metrics` without bound.
pub const UNMATCHED: &str = "unmatched";

fn metrics() -> anyhow::Result<PrometheusMetrics> {
    // A private registry per application, so tests can build many.
    PrometheusMetricsBuilder::new("nattplats")
        .registry(prometheus::Registry::new())
        .endpoint("/metrics")
        .mask_unmatched_patterns(UNMATCHED)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build metrics: {e}"))
}

/// Starts the HTTP server on `listener`.
pub fn serve(
    state: web::Data<AppState>,
    listener: TcpListener,
    max_body_bytes: usize,
) -> anyhow::Result<Server> {
    let metrics = metrics()?;
    let cors_origins = state.cors_origins.clone();
    let server = HttpServer::new(move || {
        let (app, openapi) = App::new()
            // The first wrap is the innermost: the access check runs inside
            // the request id, metrics, security headers and CORS, so its
            // refusals carry them too.
            .wrap(ErrorHandlers::new().default_handler(ensure_problem))
            .wrap(actix_web::middleware::from_fn(crate::api::access::enforce))
            .wrap(metrics.clone())
            .wrap(actix_web::middleware::from_fn(standard_methods_only))
            .wrap(actix_web::middleware::from_fn(request_id_header))
            .wrap(actix_web::middleware::from_fn(mark_writes))
            .wrap(actix_web::middleware::from_fn(security_headers))
            .wrap(actix_web::middleware::Condition::new(
                !cors_origins.is_empty(),
                cors(&cors_origins),
            ))
            .wrap(TracingLogger::<RequestSpan>::new())
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(max_body_bytes))
            .into_utoipa_app()
            .openapi(crate::api::openapi_base())
            .service(crate::api::ops::health)
            .service(crate::api::ops::ready)
            .service(utoipa_actix_web::scope("/api/v1").configure(crate::api::configure))
            .split_for_parts();
        let openapi = crate::api::finish_openapi(openapi);
        let allowed = web::Data::new(crate::api::ops::AllowedMethods::from_openapi(&openapi));
        app.app_data(allowed)
            .service(crate::api::docs(openapi))
            // The pages at `/`, beside the API (not in its document).
            .configure(crate::web::configure)
            .default_service(web::to(crate::api::ops::not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// Answers a request with a method HTTP does not define (any token is a
/// method to the parser) as no route would, 405 or 404, before the metrics
/// see it: each such method would otherwise be a label of its own.
async fn standard_methods_only(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<
    ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    use actix_web::http::Method;
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    if STANDARD.contains(req.method()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let res = crate::api::ops::not_found(req.request().clone()).await;
    Ok(req.into_response(res).map_into_right_body())
}

/// After any request that may have written, and before its answer leaves,
/// marks cached answers as possibly out of date.
async fn mark_writes(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let reads_only = matches!(
        *req.method(),
        actix_web::http::Method::GET
            | actix_web::http::Method::HEAD
            | actix_web::http::Method::OPTIONS
    );
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await;
    if !reads_only && let Some(state) = state {
        state.changes.touch();
    }
    res
}

/// CORS, when origins are configured (otherwise the middleware is not
/// there at all: no headers, so no other origin's page can read an
/// answer): those origins only, with the bearer token in `Authorization`,
/// never cookies.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default();
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors.allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
        .max_age(600)
}

/// Headers that keep browsers from doing more with an answer than showing
/// it: no sniffing, no framing, no referrer, no caching of personal data,
/// no scripts except the documentation page's own.
async fn security_headers(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/docs");
    let mut res = next.call(req).await?;
    let csp = if docs {
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
         script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    } else {
        "default-src 'none'; frame-ancestors 'none'"
    };
    let h = res.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::CROSS_ORIGIN_RESOURCE_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(res)
}

/// Copies the request id onto the response, so a desk can quote it.
async fn request_id_header(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(id) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(res)
}

/// Turns any error response that is not problem+json yet (a wrong method,
/// an error from the framework) into one. A page's own error page (HTML,
/// from `web`) stays as it is.
fn ensure_problem<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let content_type = res.headers().get(header::CONTENT_TYPE);
    let is_problem = content_type.is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    let is_page = content_type.is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_problem || is_page {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (code, detail) = match status.as_u16() {
        404 => ("not-found", "There is nothing at this address."),
        405 => (
            "method-not-allowed",
            "This address does not take that method.",
        ),
        413 => (
            "body-too-large",
            "The body is larger than this service accepts.",
        ),
        400 => ("bad-request", "The request could not be read."),
        s if s >= 500 => (
            "internal",
            "The service failed to answer; the error is logged.",
        ),
        _ => ("error", "The request failed."),
    };
    let (req, old) = res.into_parts();
    let mut new = problem_response(status, code, detail, serde_json::Map::new());
    // Keep headers such as Allow and Retry-After.
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let res = ServiceResponse::new(req, new)
        .map_into_boxed_body()
        .map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_secret_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nattplats.secret");
        let source = JwtSecretSource::File(path.clone());
        let first = load_secret(&source).unwrap();
        assert!(first.expose_secret().len() >= 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = load_secret(&source).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        fs::write(&path, "x".repeat(64)).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let e = load_secret(&JwtSecretSource::File(path)).unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }

    #[test]
    fn a_short_secret_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        write_private(&path, "short").unwrap();
        assert!(load_secret(&JwtSecretSource::File(path)).is_err());
    }

    #[test]
    fn the_demo_admin_line_follows_the_log_format() {
        let others = ["desk.convictus".to_owned(), "samordnare".to_owned()];
        let json = demo_admin_line(crate::config::LogFormat::Json, "pw-1234567890", &others);
        assert_eq!(json.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["fields"]["password"], "pw-1234567890");
        assert_eq!(v["fields"]["username"], "admin");
        assert_eq!(
            v["fields"]["demo_users"],
            serde_json::json!(["desk.convictus", "samordnare"])
        );
        let text = demo_admin_line(crate::config::LogFormat::Text, "pw-1234567890", &others);
        assert!(
            text.starts_with("nattplats: demo admin created") && text.contains("pw-1234567890")
        );
        assert!(text.contains("desk.convictus, samordnare have the same password"));
    }

    #[test]
    fn demo_passwords_are_long_and_differ() {
        let a = random_password();
        assert_eq!(a.len(), 16);
        assert_ne!(a, random_password());
    }
}
