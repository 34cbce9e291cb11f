//! Signing in and out. The sign-in form is checked exactly as
//! `POST /api/v1/auth/token` checks a login (`api::auth::sign_in`: the
//! same budgets per username and address, the same password check, the
//! same audit entry); a success opens a session kept in the database.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;

use super::i18n::{Lang, Texts};
use super::session::{self, LOGIN_COOKIE, SESSION_COOKIE};
use super::{PageCtx, page_texts};
use crate::api::state::AppState;
use crate::error::AppError;

/// Why the form is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginProblem {
    /// Wrong username or password (or an inactive user: the same words).
    Refused,
    /// A login budget is spent; the seconds until the next attempt.
    Limited(u64),
    Unavailable,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: PageCtx,
    login_csrf: String,
    username: String,
    problem: Option<LoginProblem>,
    signed_out: bool,
}
page_texts!(LoginPage);

fn page(lang: Lang) -> PageCtx {
    PageCtx::new(lang, None, "/login")
}

/// `GET /login`: the form; a signed-in browser goes to its start page.
pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = Lang::of(&req);
    match session::signed_in(&req, &state).await {
        Ok(Some(_)) => return super::see_other("/"),
        Ok(None) => {}
        Err(e) => return super::failed(&req, page(lang), e),
    }
    let token = session::login_token(&req);
    let signed_out = req.query_string().split('&').any(|kv| kv == "signed_out=1");
    let mut res = super::html(
        StatusCode::OK,
        &LoginPage {
            page: page(lang),
            login_csrf: token.clone(),
            username: String::new(),
            problem: None,
            signed_out,
        },
    );
    let _ = res.add_cookie(&session::login_cookie(token, session::secure(&req, &state)));
    res
}

/// The fields of a posted form (`application/x-www-form-urlencoded`).
fn field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `POST /login`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let lang = Lang::of(&req);
    let tls = state.tokens.came_over_tls(&req);
    let secure = session::secure(&req, &state);
    let sent = field(&body, "csrf");
    let expected = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned());
    let token_ok = matches!((&sent, &expected), (Some(s), Some(e)) if !e.is_empty() && session::tokens_match(s, e));
    if !session::same_origin(&req, tls) || !token_ok {
        tracing::info!("sign-in form refused: wrong origin or token");
        return super::refused(page(lang));
    }
    let username = field(&body, "username").unwrap_or_default();
    let password = SecretString::from(field(&body, "password").unwrap_or_default());
    let again = |status: StatusCode, problem: LoginProblem, username: String| {
        super::html(
            status,
            &LoginPage {
                page: page(lang),
                login_csrf: expected.clone().unwrap_or_default(),
                username,
                problem: Some(problem),
                signed_out: false,
            },
        )
    };
    let user = match crate::api::auth::sign_in(&state, &req, username.clone(), password).await {
        Ok(user) => user,
        Err(AppError::Unauthorized(_)) => {
            return again(StatusCode::UNAUTHORIZED, LoginProblem::Refused, username);
        }
        Err(AppError::TooManyAttempts {
            retry_after_seconds,
        }) => {
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                LoginProblem::Limited(retry_after_seconds),
                username,
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
            return res;
        }
        Err(AppError::Unavailable(_)) => {
            return again(
                StatusCode::SERVICE_UNAVAILABLE,
                LoginProblem::Unavailable,
                username,
            );
        }
        Err(e) => return super::failed(&req, page(lang), e),
    };
    let hours = state.web.session_hours;
    let now = chrono::Utc::now().naive_utc();
    let opened = crate::service::blocking(&state.pool, move |conn| {
        crate::service::web_sessions::open(conn, &user.user_id, hours, now)
    })
    .await;
    let opened = match opened {
        Ok(o) => o,
        Err(e) => return super::failed(&req, page(lang), e),
    };
    let mut res = super::see_other("/");
    let _ = res.add_cookie(&session::session_cookie(opened.token, hours, secure));
    let _ = res.add_cookie(&session::removal(LOGIN_COOKIE, secure));
    res
}

/// `POST /logout`: deletes the session's row and the cookie.
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let lang = Lang::of(&req);
    let secure = session::secure(&req, &state);
    if !session::same_origin(&req, state.tokens.came_over_tls(&req)) {
        tracing::info!("sign-out refused: wrong origin");
        return super::refused(page(lang));
    }
    let signed = match session::signed_in(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            let mut res = super::see_other("/login");
            let _ = res.add_cookie(&session::removal(SESSION_COOKIE, secure));
            return res;
        }
        Err(e) => return super::failed(&req, page(lang), e),
    };
    let sent = field(&body, "csrf");
    let ok = session::sent_token(&req, sent.as_deref())
        .is_some_and(|t| session::tokens_match(t, signed.csrf()));
    if !ok {
        tracing::info!("sign-out refused: wrong token");
        return super::refused(PageCtx::new(lang, Some(signed.csrf().to_owned()), "/"));
    }
    let token = signed.token.clone();
    let closed = crate::service::blocking(&state.pool, move |conn| {
        crate::service::web_sessions::close(conn, &token)
    })
    .await;
    if let Err(e) = closed {
        return super::failed(&req, page(lang), e);
    }
    let mut res = super::see_other("/login?signed_out=1");
    let _ = res.add_cookie(&session::removal(SESSION_COOKIE, secure));
    res
}
