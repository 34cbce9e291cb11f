//! Settings: defaults, then an optional TOML file, then `NATTPLATS_*`
//! environment variables (and `DATABASE_URL`). A wrong setting stops the
//! start with one line that names it; secrets are [`SecretString`]s and
//! never print.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The name of the seed `NATTPLATS_SEED` and `nattplats seed` know.
pub const STOCKHOLM_2019: &str = "stockholm-2019";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    #[default]
    System,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Settings as read, before they are checked.
#[derive(Debug, Deserialize)]
struct RawSettings {
    #[serde(default = "default_database_url")]
    database_url: String,
    #[serde(default = "default_bind")]
    bind: String,
    #[serde(default)]
    bootstrap_admin: Option<SecretString>,
    #[serde(default)]
    clock: ClockMode,
    #[serde(default)]
    seed: Option<String>,
    #[serde(default)]
    jwt_secret: Option<SecretString>,
    #[serde(default)]
    jwt_secret_file: Option<PathBuf>,
    #[serde(default = "default_token_ttl")]
    token_ttl_seconds: u64,
    #[serde(default)]
    log_format: LogFormat,
    #[serde(default = "default_max_body")]
    max_body_bytes: usize,
    #[serde(default = "default_pool_size")]
    db_pool_size: u32,
    #[serde(default)]
    forecast_file: Option<PathBuf>,
    #[serde(default)]
    forecast_smhi_file: Option<PathBuf>,
    #[serde(default)]
    jwks: Option<String>,
    #[serde(default)]
    idp_issuer: Option<String>,
    #[serde(default)]
    idp_audience: Option<String>,
    #[serde(default = "default_idp_max_lifetime")]
    idp_max_token_lifetime_seconds: u64,
    #[serde(default = "default_login_per_username")]
    login_attempts_per_username: u32,
    #[serde(default = "default_login_per_address")]
    login_attempts_per_address: u32,
    #[serde(default = "default_login_window")]
    login_window_seconds: u64,
    #[serde(default)]
    trusted_proxies: Option<StringOrList>,
    #[serde(default)]
    cors_origins: Option<StringOrList>,
    #[serde(default = "default_web_session_hours")]
    web_session_hours: u32,
    #[serde(default)]
    web_secure_cookie: bool,
    // Reports (issue 7): `[reports]` in the file, or the flat names below
    // (the only way an environment variable can say it); flat wins.
    #[serde(default)]
    reports: RawReports,
    #[serde(default)]
    reports_suppress_below: Option<u32>,
    #[serde(default)]
    reports_pseudonym_secret: Option<SecretString>,
    #[serde(default)]
    reports_pseudonym_secret_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReports {
    #[serde(default)]
    suppress_below: Option<u32>,
    #[serde(default)]
    pseudonym_secret: Option<SecretString>,
    #[serde(default)]
    pseudonym_secret_file: Option<PathBuf>,
}

/// Reports (issue 7).
#[derive(Debug, Clone)]
pub struct ReportSettings {
    /// Counts of people from 1 to `suppress_below - 1` are shown as
    /// "<N>"; 0 turns suppression off.
    pub suppress_below: u32,
    /// The key of the pseudonymous guest ids in the bed-night export.
    pub pseudonym_secret: JwtSecretSource,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            suppress_below: 5,
            pseudonym_secret: JwtSecretSource::File(PathBuf::from("nattplats.pseudonym-secret")),
        }
    }
}

/// A list given as a TOML array or as one comma-separated text (the only
/// way an environment variable can say it).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    List(Vec<String>),
}

impl StringOrList {
    fn items(self) -> Vec<String> {
        let list = match self {
            Self::One(s) => s.split(',').map(str::to_owned).collect(),
            Self::List(l) => l,
        };
        list.into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// `scheme://host[:port]` and nothing more, as browsers send in `Origin`.
fn is_origin(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && port.is_none_or(|p| p.parse::<u16>().is_ok())
}

fn default_database_url() -> String {
    "sqlite://nattplats.db".to_owned()
}
fn default_bind() -> String {
    "127.0.0.1:8080".to_owned()
}
fn default_token_ttl() -> u64 {
    8 * 3600
}
fn default_max_body() -> usize {
    64 * 1024
}
fn default_pool_size() -> u32 {
    8
}
fn default_idp_max_lifetime() -> u64 {
    3600
}
fn default_login_per_username() -> u32 {
    10
}
fn default_login_per_address() -> u32 {
    30
}
fn default_login_window() -> u64 {
    900
}
fn default_web_session_hours() -> u32 {
    12
}

/// Which database, parsed from `DATABASE_URL`.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    /// `sqlite://PATH`: a file, created when missing.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, passed to libpq as given.
    Postgres(SecretString),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("DATABASE_URL sqlite://PATH needs a file path".to_owned());
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(SecretString::from(url.to_owned())))
        } else {
            Err("DATABASE_URL must start with sqlite:// or postgres://".to_owned())
        }
    }

    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(p) => Some(p),
            Self::Postgres(_) => None,
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

/// A `user:password` pair for the first admin.
#[derive(Debug, Clone)]
pub struct BootstrapAdmin {
    pub username: String,
    pub password: SecretString,
}

/// Where the token signing secret comes from.
#[derive(Debug, Clone)]
pub enum JwtSecretSource {
    Value(SecretString),
    /// A file, created with a fresh random secret (mode 0600) when missing.
    File(PathBuf),
}

/// Where the identity provider's public keys (a JWKS document) are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// Re-read whenever it changes, so a key removed from it stops
    /// verifying at once.
    File(PathBuf),
    /// `https://…` (plain `http://` only to a loopback address), fetched at
    /// start and again on an unknown `kid` or when older than a few minutes.
    Url(String),
}

/// Tokens of the city's identity provider that the service accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpSettings {
    pub jwks: JwksSource,
    pub issuer: String,
    pub audience: String,
    /// Tokens whose `exp - iat` is longer are refused.
    pub max_token_lifetime_seconds: u64,
}

/// How many login attempts without success one username and one client
/// address may have per window (kept in the database, shared by every
/// instance; see `auth::login_guard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub per_username: u32,
    pub per_address: u32,
    pub window_seconds: u64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_username: default_login_per_username(),
            per_address: default_login_per_address(),
            window_seconds: default_login_window(),
        }
    }
}

/// One address or network (`10.0.0.0/8`, `fd00::/8`), for trusted proxies;
/// the matching is the `ipnet` crate's. An IPv4 address mapped into IPv6
/// (`::ffff:10.0.0.1`) stands for the IPv4 address, as a network and as a
/// peer; host bits after the prefix are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet(ipnet::IpNet);

impl IpNet {
    pub fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: std::net::IpAddr = addr.trim().parse().ok()?;
        let addr = addr.to_canonical();
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok()?,
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        ipnet::IpNet::new(addr, prefix).ok().map(Self)
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }
}

/// Checked settings: a value that exists is valid.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub bind: SocketAddr,
    pub bootstrap_admin: Option<BootstrapAdmin>,
    pub clock: ClockMode,
    pub seed: Option<String>,
    pub jwt_secret: JwtSecretSource,
    pub token_ttl_seconds: u64,
    pub log_format: LogFormat,
    pub max_body_bytes: usize,
    pub db_pool_size: u32,
    pub forecast: Option<ForecastFile>,
    /// Tokens of the city's identity provider, when configured.
    pub idp: Option<IdpSettings>,
    pub login_limits: LoginLimits,
    /// Peers whose `X-Forwarded-For` is believed; empty: none is.
    pub trusted_proxies: Vec<IpNet>,
    /// Web origins (`https://host[:port]`) whose pages may call the API
    /// from a browser; empty: none, no CORS headers at all.
    pub cors_origins: Vec<String>,
    pub reports: ReportSettings,
    pub web: WebSettings,
    /// Whether this process folds the summaries' log into the summaries
    /// (`db::summaries::Folder`). Always, in the service: the summaries
    /// are exact either way, only the log grows. The tests switch it off
    /// to read what the log holds, and fold when they choose.
    pub fold_summaries: bool,
}

/// The pages (issue 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebSettings {
    /// A session of the pages ends this many hours after sign-in (a shift).
    pub session_hours: u32,
    /// Mark the session cookie `Secure` on every answer, not only on those
    /// to requests that came over TLS through a trusted proxy.
    pub secure_cookie: bool,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            session_hours: default_web_session_hours(),
            secure_cookie: false,
        }
    }
}

/// Where the forecast for cold-night suggestions is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForecastFile {
    /// `{"YYYY-MM-DD": minimum}`.
    Nights(PathBuf),
    /// A saved SMHI point forecast.
    Smhi(PathBuf),
}

/// One line saying which setting is wrong and why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl Settings {
    /// Reads the settings: defaults, then `file` (or `NATTPLATS_CONFIG`, or
    /// `./nattplats.toml` when it exists), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env_file = std::env::var_os("NATTPLATS_CONFIG").map(PathBuf::from);
        let explicit = file.map(Path::to_path_buf).or(env_file);
        let mut figment = Figment::new();
        match explicit {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError(format!(
                        "configuration file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                let default = Path::new("nattplats.toml");
                if default.is_file() {
                    figment = figment.merge(Toml::file_exact(default));
                }
            }
        }
        let figment = figment
            .merge(Env::prefixed("NATTPLATS_").ignore(&["config"]))
            .merge(Env::raw().only(&["database_url"]));
        let raw: RawSettings = figment.extract().map_err(|e| {
            // figment's message already names the key and its source.
            ConfigError(
                e.into_iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        Self::check(raw)
    }

    /// Settings for tests and tools: the defaults with a given database.
    pub fn for_database(database: DatabaseUrl) -> Self {
        let secret =
            SecretString::from("test-secret-test-secret-test-secret-0123456789".to_owned());
        Self {
            database,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            bootstrap_admin: None,
            clock: ClockMode::System,
            seed: None,
            jwt_secret: JwtSecretSource::Value(secret),
            token_ttl_seconds: default_token_ttl(),
            log_format: LogFormat::Text,
            max_body_bytes: default_max_body(),
            db_pool_size: default_pool_size(),
            forecast: None,
            idp: None,
            login_limits: LoginLimits::default(),
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            web: WebSettings::default(),
            fold_summaries: true,
            reports: ReportSettings {
                suppress_below: 5,
                pseudonym_secret: JwtSecretSource::Value(SecretString::from(
                    "test-pseudonym-secret-test-pseudonym-secret".to_owned(),
                )),
            },
        }
    }

    fn check(raw: RawSettings) -> Result<Self, ConfigError> {
        let database = DatabaseUrl::parse(&raw.database_url).map_err(ConfigError)?;
        let bind = raw
            .bind
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| {
                ConfigError(format!(
                    "NATTPLATS_BIND must be HOST:PORT, got {:?}",
                    raw.bind
                ))
            })?;
        // Empty is unset: what a compose file's `${NAME:-}` passes.
        let bootstrap_admin = match raw.bootstrap_admin {
            None => None,
            Some(pair) if pair.expose_secret().is_empty() => None,
            Some(pair) => Some(parse_bootstrap_admin(pair.expose_secret())?),
        };
        if let Some(seed) = &raw.seed
            && seed != STOCKHOLM_2019
        {
            return Err(ConfigError(format!(
                "NATTPLATS_SEED knows only {STOCKHOLM_2019:?}, got {seed:?}"
            )));
        }
        let jwt_secret = match (raw.jwt_secret, raw.jwt_secret_file) {
            (Some(_), Some(_)) => {
                return Err(ConfigError(
                    "set NATTPLATS_JWT_SECRET or NATTPLATS_JWT_SECRET_FILE, not both".to_owned(),
                ));
            }
            (Some(secret), None) => {
                if secret.expose_secret().len() < 32 {
                    return Err(ConfigError(
                        "NATTPLATS_JWT_SECRET must be at least 32 characters".to_owned(),
                    ));
                }
                JwtSecretSource::Value(secret)
            }
            (None, Some(path)) => JwtSecretSource::File(path),
            (None, None) => JwtSecretSource::File(PathBuf::from("nattplats.secret")),
        };
        if !(60..=86_400).contains(&raw.token_ttl_seconds) {
            return Err(ConfigError(format!(
                "NATTPLATS_TOKEN_TTL_SECONDS must be between 60 and 86400, got {}",
                raw.token_ttl_seconds
            )));
        }
        if !(1024..=16 * 1024 * 1024).contains(&raw.max_body_bytes) {
            return Err(ConfigError(format!(
                "NATTPLATS_MAX_BODY_BYTES must be between 1024 and 16777216, got {}",
                raw.max_body_bytes
            )));
        }
        if !(1..=128).contains(&raw.db_pool_size) {
            return Err(ConfigError(format!(
                "NATTPLATS_DB_POOL_SIZE must be between 1 and 128, got {}",
                raw.db_pool_size
            )));
        }
        let forecast = match (raw.forecast_file, raw.forecast_smhi_file) {
            (Some(_), Some(_)) => {
                return Err(ConfigError(
                    "set NATTPLATS_FORECAST_FILE or NATTPLATS_FORECAST_SMHI_FILE, not both"
                        .to_owned(),
                ));
            }
            (Some(p), None) => Some(ForecastFile::Nights(p)),
            (None, Some(p)) => Some(ForecastFile::Smhi(p)),
            (None, None) => None,
        };
        let idp = check_idp(
            raw.jwks,
            raw.idp_issuer,
            raw.idp_audience,
            raw.idp_max_token_lifetime_seconds,
        )?;
        let login_limits = LoginLimits {
            per_username: raw.login_attempts_per_username,
            per_address: raw.login_attempts_per_address,
            window_seconds: raw.login_window_seconds,
        };
        for (name, n) in [
            (
                "NATTPLATS_LOGIN_ATTEMPTS_PER_USERNAME",
                login_limits.per_username,
            ),
            (
                "NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS",
                login_limits.per_address,
            ),
        ] {
            if !(1..=10_000).contains(&n) {
                return Err(ConfigError(format!(
                    "{name} must be between 1 and 10000, got {n}"
                )));
            }
        }
        if !(10..=86_400).contains(&login_limits.window_seconds) {
            return Err(ConfigError(format!(
                "NATTPLATS_LOGIN_WINDOW_SECONDS must be between 10 and 86400, got {}",
                login_limits.window_seconds
            )));
        }
        let mut trusted_proxies = Vec::new();
        for item in raw
            .trusted_proxies
            .map(StringOrList::items)
            .unwrap_or_default()
        {
            trusted_proxies.push(IpNet::parse(&item).ok_or_else(|| {
                ConfigError(format!(
                    "NATTPLATS_TRUSTED_PROXIES must list addresses or networks (10.0.0.1, 10.0.0.0/8), got {item:?}"
                ))
            })?);
        }
        let mut cors_origins = Vec::new();
        for item in raw
            .cors_origins
            .map(StringOrList::items)
            .unwrap_or_default()
        {
            if !is_origin(&item) {
                return Err(ConfigError(format!(
                    "NATTPLATS_CORS_ORIGINS must list web origins (https://app.example.org), got {item:?}"
                )));
            }
            cors_origins.push(item);
        }
        if !(1..=72).contains(&raw.web_session_hours) {
            return Err(ConfigError(format!(
                "NATTPLATS_WEB_SESSION_HOURS must be between 1 and 72, got {}",
                raw.web_session_hours
            )));
        }
        let web = WebSettings {
            session_hours: raw.web_session_hours,
            secure_cookie: raw.web_secure_cookie,
        };
        let reports = check_reports(
            raw.reports,
            raw.reports_suppress_below,
            raw.reports_pseudonym_secret,
            raw.reports_pseudonym_secret_file,
        )?;
        Ok(Self {
            reports,
            web,
            idp,
            login_limits,
            trusted_proxies,
            cors_origins,
            forecast,
            database,
            bind,
            bootstrap_admin,
            clock: raw.clock,
            seed: raw.seed,
            jwt_secret,
            token_ttl_seconds: raw.token_ttl_seconds,
            log_format: raw.log_format,
            max_body_bytes: raw.max_body_bytes,
            db_pool_size: raw.db_pool_size,
            fold_summaries: true,
        })
    }
}

fn check_reports(
    nested: RawReports,
    below: Option<u32>,
    secret: Option<SecretString>,
    secret_file: Option<PathBuf>,
) -> Result<ReportSettings, ConfigError> {
    let below = below.or(nested.suppress_below).unwrap_or(5);
    if below > 100 {
        return Err(ConfigError(format!(
            "NATTPLATS_REPORTS_SUPPRESS_BELOW (reports.suppress_below) must be between 0 and 100, got {below}"
        )));
    }
    let secret = secret.or(nested.pseudonym_secret);
    let file = secret_file.or(nested.pseudonym_secret_file);
    let pseudonym_secret = match (secret, file) {
        (Some(_), Some(_)) => {
            return Err(ConfigError(
                "set NATTPLATS_REPORTS_PSEUDONYM_SECRET or NATTPLATS_REPORTS_PSEUDONYM_SECRET_FILE, not both"
                    .to_owned(),
            ));
        }
        (Some(s), None) => {
            if s.expose_secret().len() < 32 {
                return Err(ConfigError(
                    "NATTPLATS_REPORTS_PSEUDONYM_SECRET must be at least 32 characters".to_owned(),
                ));
            }
            JwtSecretSource::Value(s)
        }
        (None, Some(p)) => JwtSecretSource::File(p),
        (None, None) => ReportSettings::default().pseudonym_secret,
    };
    Ok(ReportSettings {
        suppress_below: below,
        pseudonym_secret,
    })
}

fn check_idp(
    jwks: Option<String>,
    issuer: Option<String>,
    audience: Option<String>,
    max_lifetime: u64,
) -> Result<Option<IdpSettings>, ConfigError> {
    let issuer = issuer
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let audience = audience
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let Some(jwks) = jwks.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) else {
        if issuer.is_some() || audience.is_some() {
            return Err(ConfigError(
                "NATTPLATS_IDP_ISSUER and NATTPLATS_IDP_AUDIENCE need NATTPLATS_JWKS".to_owned(),
            ));
        }
        return Ok(None);
    };
    let (Some(issuer), Some(audience)) = (issuer, audience) else {
        return Err(ConfigError(
            "NATTPLATS_JWKS needs NATTPLATS_IDP_ISSUER and NATTPLATS_IDP_AUDIENCE".to_owned(),
        ));
    };
    if !(60..=86_400).contains(&max_lifetime) {
        return Err(ConfigError(format!(
            "NATTPLATS_IDP_MAX_TOKEN_LIFETIME_SECONDS must be between 60 and 86400, got {max_lifetime}"
        )));
    }
    let source = if jwks.starts_with("https://") {
        JwksSource::Url(jwks)
    } else if let Some(rest) = jwks.strip_prefix("http://") {
        // Keys fetched in the clear could be anyone's; only a loopback
        // address (a sidecar, a test) may be plain http.
        let host = rest.split(['/', '?']).next().unwrap_or_default();
        let host = host
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(ConfigError(
                "NATTPLATS_JWKS must be https:// (plain http:// only to a loopback address)"
                    .to_owned(),
            ));
        }
        JwksSource::Url(jwks)
    } else if jwks.contains("://") {
        return Err(ConfigError(
            "NATTPLATS_JWKS must be a file path or an https:// URL".to_owned(),
        ));
    } else {
        JwksSource::File(PathBuf::from(jwks))
    };
    Ok(Some(IdpSettings {
        jwks: source,
        issuer,
        audience,
        max_token_lifetime_seconds: max_lifetime,
    }))
}

/// `user:password`; the password by the rule every user's password
/// follows ([`crate::domain::check_password`]).
fn parse_bootstrap_admin(pair: &str) -> Result<BootstrapAdmin, ConfigError> {
    let bad = |rule: &str| {
        ConfigError(format!(
            "NATTPLATS_BOOTSTRAP_ADMIN must be user:password, the password {rule}"
        ))
    };
    let (user, password) = pair
        .split_once(':')
        .ok_or_else(|| bad("of 10 to 256 characters"))?;
    crate::domain::check_password(password).map_err(|m| bad(&m))?;
    if user.trim().is_empty() {
        return Err(bad("after a user name"));
    }
    Ok(BootstrapAdmin {
        username: user.trim().to_owned(),
        password: SecretString::from(password.to_owned()),
    })
}

#[cfg(test)]
// figment::Error is large; fine for a test closure.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn trusted_networks_match_as_written() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let net = |s: &str| IpNet::parse(s).unwrap();
        let cases: &[(&str, &str, bool)] = &[
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("10.1.2.3/8", "10.9.9.9", true),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("192.168.1.0/24", "192.168.1.255", true),
            ("192.168.1.0/24", "192.168.2.0", false),
            ("192.168.1.7/32", "192.168.1.7", true),
            ("192.168.1.7/32", "192.168.1.6", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "::1", false),
            ("fd00::/8", "fd12::1", true),
            ("fd00::/8", "fe80::1", false),
            ("::1", "::1", true),
            ("::1/128", "::2", false),
            ("::/0", "2001:db8::1", true),
            ("::/0", "10.0.0.1", false),
            // An IPv4 address mapped into IPv6 is the IPv4 address, both as
            // a network and as a peer.
            ("10.0.0.0/8", "::ffff:10.2.3.4", true),
            ("10.0.0.0/8", "::ffff:11.2.3.4", false),
            ("::ffff:10.0.0.0/8", "10.2.3.4", true),
            ("::ffff:10.0.0.0/8", "::ffff:10.2.3.4", true),
            ("::/0", "::ffff:10.2.3.4", false),
            (" 10.0.0.0 / 8 ", "10.1.1.1", true),
            ("10.0.0.0/+8", "10.1.1.1", true),
        ];
        for (n, a, expected) in cases {
            assert_eq!(net(n).contains(ip(a)), *expected, "{n} contains {a}");
        }
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "10.0.0.0/x",
            "10.0.0.0/-1",
            "fd00::/129",
            "::ffff:10.0.0.0/104",
            "10.0.0",
            "example.org",
        ] {
            assert_eq!(IpNet::parse(bad), None, "{bad:?}");
        }
        assert_eq!(net("::ffff:10.0.0.0/8"), net("10.0.0.0/8"));
    }

    #[test]
    fn defaults_are_the_embedded_database_on_localhost() {
        Jail::expect_with(|_| {
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.database.sqlite_path(), Some(Path::new("nattplats.db")));
            assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
            assert_eq!(s.clock, ClockMode::System);
            assert!(matches!(s.jwt_secret, JwtSecretSource::File(_)));
            Ok(())
        });
    }

    #[test]
    fn environment_overrides_the_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "nattplats.toml",
                "bind = \"127.0.0.1:9000\"\nclock = \"manual\"",
            )?;
            jail.set_env("NATTPLATS_BIND", "127.0.0.1:9001");
            jail.set_env("DATABASE_URL", "postgres://db.internal/nattplats");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.bind.to_string(), "127.0.0.1:9001");
            assert_eq!(s.clock, ClockMode::Manual);
            assert!(!s.database.is_sqlite());
            Ok(())
        });
    }

    #[test]
    fn a_wrong_setting_is_named_in_one_line() {
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_TOKEN_TTL_SECONDS", "5");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_TOKEN_TTL_SECONDS"), "{e}");
            assert!(!e.contains('\n'));
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("DATABASE_URL", "mysql://x");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("DATABASE_URL"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_CLOCK", "sundial");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("CLOCK") && e.contains("NATTPLATS_"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_SEED", "oslo-2020");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_SEED"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_JWT_SECRET", "short");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_JWT_SECRET"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_BIND", "nowhere");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_BIND"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn secrets_never_print() {
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_BOOTSTRAP_ADMIN", "root:hunter2-hunter2");
            jail.set_env(
                "NATTPLATS_JWT_SECRET",
                "very-secret-signing-key-0123456789abcdef",
            );
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            let printed = format!("{s:?}");
            assert!(!printed.contains("hunter2"), "{printed}");
            assert!(!printed.contains("very-secret"), "{printed}");
            let admin = s.bootstrap_admin.expect("admin");
            assert_eq!(admin.username, "root");
            assert_eq!(admin.password.expose_secret(), "hunter2-hunter2");
            Ok(())
        });
    }

    #[test]
    fn an_identity_provider_needs_keys_issuer_and_audience() {
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_JWKS", "/etc/nattplats/idp.jwks");
            jail.set_env("NATTPLATS_IDP_ISSUER", "https://idp.stad.example");
            jail.set_env("NATTPLATS_IDP_AUDIENCE", "nattplats");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            let idp = s.idp.expect("idp");
            assert_eq!(
                idp.jwks,
                JwksSource::File(PathBuf::from("/etc/nattplats/idp.jwks"))
            );
            assert_eq!(idp.max_token_lifetime_seconds, 3600);
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_JWKS", "https://idp.stad.example/jwks");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_IDP_ISSUER"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_JWKS", "http://idp.stad.example/jwks");
            jail.set_env("NATTPLATS_IDP_ISSUER", "i");
            jail.set_env("NATTPLATS_IDP_AUDIENCE", "a");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_JWKS") && e.contains("https"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_JWKS", "http://127.0.0.1:9999/jwks");
            jail.set_env("NATTPLATS_IDP_ISSUER", "i");
            jail.set_env("NATTPLATS_IDP_AUDIENCE", "a");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert!(matches!(s.idp.map(|i| i.jwks), Some(JwksSource::Url(_))));
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_IDP_ISSUER", "i");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_JWKS"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_JWKS", "idp.jwks");
            jail.set_env("NATTPLATS_IDP_ISSUER", "i");
            jail.set_env("NATTPLATS_IDP_AUDIENCE", "a");
            jail.set_env("NATTPLATS_IDP_MAX_TOKEN_LIFETIME_SECONDS", "604800");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(
                e.contains("NATTPLATS_IDP_MAX_TOKEN_LIFETIME_SECONDS"),
                "{e}"
            );
            Ok(())
        });
    }

    #[test]
    fn cors_origins_are_off_by_default_and_checked() {
        Jail::expect_with(|_| {
            assert!(
                Settings::load(None)
                    .map_err(|e| e.to_string())?
                    .cors_origins
                    .is_empty()
            );
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env(
                "NATTPLATS_CORS_ORIGINS",
                "https://skarm.stad.example, http://localhost:5173",
            );
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(
                s.cors_origins,
                vec!["https://skarm.stad.example", "http://localhost:5173"]
            );
            Ok(())
        });
        for bad in [
            "*",
            "https://x.example/path",
            "ftp://x.example",
            "https://",
            "https://x.example:99999",
        ] {
            Jail::expect_with(|jail| {
                jail.set_env("NATTPLATS_CORS_ORIGINS", bad);
                let e = Settings::load(None).unwrap_err().to_string();
                assert!(e.contains("NATTPLATS_CORS_ORIGINS"), "{bad}: {e}");
                Ok(())
            });
        }
    }

    #[test]
    fn a_page_session_lasts_a_shift_unless_configured() {
        Jail::expect_with(|_| {
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(
                s.web,
                WebSettings {
                    session_hours: 12,
                    secure_cookie: false
                }
            );
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file("nattplats.toml", "web_session_hours = 8")?;
            jail.set_env("NATTPLATS_WEB_SECURE_COOKIE", "true");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!((s.web.session_hours, s.web.secure_cookie), (8, true));
            Ok(())
        });
        for bad in ["0", "73"] {
            Jail::expect_with(|jail| {
                jail.set_env("NATTPLATS_WEB_SESSION_HOURS", bad);
                let e = Settings::load(None).unwrap_err().to_string();
                assert!(e.contains("NATTPLATS_WEB_SESSION_HOURS"), "{bad}: {e}");
                Ok(())
            });
        }
    }

    #[test]
    fn trusted_proxies_and_login_limits_are_read_and_checked() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "NATTPLATS_TRUSTED_PROXIES",
                "10.0.0.1, 192.168.0.0/16,fd00::/8",
            );
            jail.set_env("NATTPLATS_LOGIN_ATTEMPTS_PER_USERNAME", "5");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.trusted_proxies.len(), 3);
            assert!(s.trusted_proxies[1].contains("192.168.4.5".parse().unwrap()));
            assert!(!s.trusted_proxies[1].contains("192.169.0.1".parse().unwrap()));
            assert!(s.trusted_proxies[0].contains("::ffff:10.0.0.1".parse().unwrap()));
            assert!(s.trusted_proxies[2].contains("fd12::1".parse().unwrap()));
            assert_eq!(s.login_limits.per_username, 5);
            assert_eq!(s.login_limits.per_address, 30);
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file("nattplats.toml", "trusted_proxies = [\"10.0.0.0/8\"]")?;
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.trusted_proxies, vec![IpNet::parse("10.0.0.0/8").unwrap()]);
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_TRUSTED_PROXIES", "10.0.0.0/33");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_TRUSTED_PROXIES"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS", "0");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn an_empty_bootstrap_admin_is_no_bootstrap_admin() {
        // What `NAME: ${NAME:-}` in a compose file passes when NAME is unset.
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_BOOTSTRAP_ADMIN", "");
            let s = Settings::load(None).unwrap();
            assert!(s.bootstrap_admin.is_none());
            Ok(())
        });
    }

    #[test]
    fn a_bootstrap_admin_needs_a_real_password() {
        Jail::expect_with(|jail| {
            jail.set_env("NATTPLATS_BOOTSTRAP_ADMIN", "root");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains("NATTPLATS_BOOTSTRAP_ADMIN"), "{e}");
            assert!(!e.contains("root"));
            Ok(())
        });
    }
}
