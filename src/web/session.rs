//! The pages' session cookie and the checks every form passes.
//!
//! - The cookie holds a random token; the database holds its SHA-256
//!   (`service::web_sessions`). It is `HttpOnly` (no script reads it),
//!   `SameSite=Strict` (no other site's page sends it), `Path=/`, and
//!   `Secure` when the request came over TLS through a trusted proxy or
//!   the settings say so.
//! - Every form carries the session's CSRF token in a hidden field `csrf`
//!   (htmx sends it as `X-CSRF-Token`, from `hx-headers` on the body), and
//!   every POST is checked against it, and its `Origin` (or, without one,
//!   its `Referer`) against the host it was sent to. The sign-in form,
//!   before any session, carries a token that must equal its cookie's.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, web};

use crate::api::state::AppState;
use crate::error::AppError;
use crate::service::web_sessions::{self, Resumed};

/// The session's cookie.
pub const SESSION_COOKIE: &str = "nattplats_session";
/// The sign-in form's token, before there is a session.
pub const LOGIN_COOKIE: &str = "nattplats_login";
/// The header htmx sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A request of a signed-in browser.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub session: Resumed,
}

impl SignedIn {
    pub fn csrf(&self) -> &str {
        &self.session.row.csrf_token
    }
}

/// Whether a token has the form `service::web_sessions` makes: 64 hex
/// digits. Anything else is not looked up.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The session of the request's cookie, with its user as the users table
/// has it now; `None` without a cookie, or for a session that has ended,
/// was signed out, or whose user is deactivated.
pub async fn signed_in(req: &HttpRequest, state: &AppState) -> Result<Option<SignedIn>, AppError> {
    let Some(token) = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| well_formed(t))
    else {
        return Ok(None);
    };
    let now = chrono::Utc::now().naive_utc();
    let lookup = token.clone();
    let found = crate::service::blocking(&state.pool, move |conn| {
        web_sessions::resume(conn, &lookup, now)
    })
    .await?;
    Ok(found.map(|session| SignedIn { token, session }))
}

/// Whether the session cookie must be `Secure` on the answer to `req`.
pub fn secure(req: &HttpRequest, state: &AppState) -> bool {
    state.web.secure_cookie || state.tokens.came_over_tls(req)
}

fn cookie(
    name: &'static str,
    value: String,
    max_age: CookieDuration,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(max_age)
        .finish()
}

/// The cookie of a session just opened, living as long as the session.
pub fn session_cookie(token: String, hours: u32, secure: bool) -> Cookie<'static> {
    cookie(
        SESSION_COOKIE,
        token,
        CookieDuration::hours(i64::from(hours)),
        secure,
    )
}

/// The sign-in form's cookie (an hour: a form left longer is shown anew).
pub fn login_cookie(token: String, secure: bool) -> Cookie<'static> {
    cookie(LOGIN_COOKIE, token, CookieDuration::hours(1), secure)
}

/// What tells the browser to forget a cookie.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    cookie(name, String::new(), CookieDuration::ZERO, secure)
}

/// The sign-in form's token: the one its cookie holds, when it has one of
/// the right form (two tabs with the form keep one token), else a new one.
pub fn login_token(req: &HttpRequest) -> String {
    req.cookie(LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| well_formed(t))
        .unwrap_or_else(web_sessions::random_token)
}

/// Equal, compared in time that does not depend on where they differ.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The CSRF token a POST sent: the form's field, else htmx's header.
pub fn sent_token<'a>(req: &'a HttpRequest, field: Option<&'a str>) -> Option<&'a str> {
    field.or_else(|| req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()))
}

/// The `scheme://host[:port]` part of an `Origin` or `Referer` value.
fn origin_of(value: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = value.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    (!authority.is_empty()).then_some((scheme, authority))
}

/// Whether a POST comes from a page of this site: its `Origin` (or, when
/// a browser sent none, its `Referer`) names the host the request was
/// sent to, over HTTPS when the request came over TLS. `Origin: null`,
/// another host, or neither header: no.
pub fn same_origin(req: &HttpRequest, tls: bool) -> bool {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    let Some(host) = host else {
        return false;
    };
    let named = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let Some(source) = named(header::ORIGIN).or_else(|| named(header::REFERER)) else {
        return false;
    };
    matches_host(&source, &host, tls)
}

fn matches_host(source: &str, host: &str, tls: bool) -> bool {
    let Some((scheme, authority)) = origin_of(source) else {
        return false;
    };
    let scheme_ok = match scheme {
        "https" => true,
        "http" => !tls,
        _ => false,
    };
    scheme_ok && authority.eq_ignore_ascii_case(host)
}

/// The application state of a request.
pub fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_must_name_the_host_the_request_was_sent_to() {
        assert!(matches_host(
            "http://127.0.0.1:8080",
            "127.0.0.1:8080",
            false
        ));
        assert!(matches_host("https://desk.example", "desk.example", true));
        assert!(matches_host(
            "http://127.0.0.1:8080/login?x=1",
            "127.0.0.1:8080",
            false
        ));
        assert!(!matches_host(
            "http://127.0.0.1:8081",
            "127.0.0.1:8080",
            false
        ));
        assert!(!matches_host(
            "http://evil.example",
            "127.0.0.1:8080",
            false
        ));
        assert!(!matches_host(
            "http://127.0.0.1:8080.evil.example",
            "127.0.0.1:8080",
            false
        ));
        assert!(!matches_host("null", "127.0.0.1:8080", false));
        assert!(!matches_host("http://desk.example", "desk.example", true));
        assert!(!matches_host("ftp://desk.example", "desk.example", false));
    }

    #[test]
    fn tokens_are_compared_whole() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "abcd"));
        assert!(!tokens_match("", "a"));
        assert!(well_formed(&"a".repeat(64)));
        assert!(!well_formed(&"g".repeat(64)));
        assert!(!well_formed("abc"));
    }
}
