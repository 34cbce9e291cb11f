//! The pages (issue 16): a second door into the same service, beside
//! `api/`. Handlers read the session, call the same service functions the
//! API calls, and render askama templates (`templates/`) whose texts come
//! from the catalogues (`i18n`). No page calls our own API over HTTP.
//!
//! askama rather than maud: the pages are mostly markup with a few
//! values, which reads best as HTML files a designer or translator can
//! open; askama checks them when the crate compiles (a missing field or a
//! wrong type is a build error, as with maud), escapes every value by
//! default, and renders one block of a template on its own, which is what
//! htmx's partial updates need.
//!
//! Every page answer carries a Content-Security-Policy that allows
//! scripts, styles and requests from this site only and no inline script
//! or style, `Referrer-Policy: same-origin` (so that forms send their
//! `Origin`; `no-referrer`, the API's, makes browsers send `Origin: null`),
//! and `Cache-Control: no-store`, so that a page of names is never kept
//! by the browser or shown again by the back button after sign-out.

mod admin;
pub mod assets;
mod board;
mod casework;
mod coordination;
mod desk;
pub mod form;
pub mod i18n;
mod intake;
mod live;
mod login;
mod lottery;
mod reports;
pub mod session;
pub mod slip;
mod start;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;

use crate::error::AppError;
use i18n::{LANG_COOKIE, Lang, Texts};

/// The policy of every page.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The routes of the pages and their files, registered at `/` beside
/// `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    admin::configure(cfg);
    assets::configure(cfg);
    board::configure(cfg);
    casework::configure(cfg);
    coordination::configure(cfg);
    desk::configure(cfg);
    intake::configure(cfg);
    lottery::configure(cfg);
    reports::configure(cfg);
    slip::configure(cfg);
    cfg.service(page_resource("/").route(web::get().to(start::start)))
        .service(page_resource("/tonight").route(web::get().to(desk::tonight)))
        .service(
            page_resource("/login")
                .route(web::get().to(login::form))
                .route(web::post().to(login::submit)),
        )
        .service(page_resource("/logout").route(web::post().to(login::sign_out)));
}

/// The headers of every page (see the module's comment), and the language
/// switch: a GET with `?lang=sv|en` keeps the choice in the `lang` cookie
/// and sends the browser back to the same page without the query, so a
/// reload or a bookmark does not switch again.
async fn page_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let switch = (req.method() == actix_web::http::Method::GET)
        .then(|| chosen_language(req.query_string()))
        .flatten();
    let mut res = match switch {
        Some(lang) => {
            let cookie = actix_web::cookie::Cookie::build(LANG_COOKIE, lang.code())
                .path("/")
                .same_site(actix_web::cookie::SameSite::Strict)
                .http_only(true)
                .max_age(actix_web::cookie::time::Duration::days(365))
                .finish();
            let target = req.path().to_owned();
            let res = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .cookie(cookie)
                .finish();
            req.into_response(res).map_into_boxed_body()
        }
        None => next.call(req).await?.map_into_boxed_body(),
    };
    let h = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    Ok(res)
}

/// `lang=sv` or `lang=en` in a query.
fn chosen_language(query: &str) -> Option<Lang> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

/// The context of every page: its language, the session's CSRF token
/// when someone is signed in (for the sign-out form and htmx), and the
/// page the language switch leads to (the page itself, or the start page
/// after a form's answer: a POST's address is no page to come back to).
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub csrf: Option<String>,
    pub here: &'static str,
}

impl PageCtx {
    pub fn new(lang: Lang, csrf: Option<String>, here: &'static str) -> Self {
        Self { lang, csrf, here }
    }
}

/// Implements [`Texts`] for page structs that have a `page: PageCtx`.
macro_rules! page_texts {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::web::i18n::Texts for $t {
            fn lang(&self) -> $crate::web::i18n::Lang {
                self.page.lang
            }
        }
    )*};
}
pub(crate) use page_texts;

/// A message page: a refused form or a failure.
#[derive(Debug, Clone)]
pub enum Message {
    /// A form from another site, or without its token (403).
    Refused,
    /// The database cannot be reached (503).
    Unavailable,
    /// Anything else, with the request id the log has the cause under.
    Failed(String),
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    page: PageCtx,
    message: Message,
}
page_texts!(MessagePage);

/// A rendered page as an answer.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("500")
        }
    }
}

/// A page that says a form was refused (403).
pub fn refused(page: PageCtx) -> HttpResponse {
    html(
        StatusCode::FORBIDDEN,
        &MessagePage {
            page: PageCtx { here: "/", ..page },
            message: Message::Refused,
        },
    )
}

/// A page for an error of the service, with the status the API would
/// give it; the cause is logged as the API logs it.
pub fn failed(req: &HttpRequest, page: PageCtx, e: AppError) -> HttpResponse {
    let status = e.status_code();
    let message = match e {
        AppError::Unavailable(_) => {
            tracing::warn!(error = %e, "database unavailable");
            Message::Unavailable
        }
        e => {
            if status.is_server_error() {
                tracing::error!(error = ?e, "a page failed");
            }
            let id = req
                .extensions()
                .get::<tracing_actix_web::RequestId>()
                .map(|id| id.to_string())
                .unwrap_or_default();
            Message::Failed(id)
        }
    };
    let page = PageCtx { here: "/", ..page };
    html(status, &MessagePage { page, message })
}

/// Sends the browser to `to` (303: a POST's answer becomes a GET).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// A signed-out visitor's way to the sign-in page: a redirect, or for an
/// htmx request (which would follow a redirect inside the page) an
/// `HX-Redirect` telling htmx to load the sign-in page as a whole.
pub fn to_login(req: &HttpRequest) -> HttpResponse {
    if req.headers().contains_key("hx-request") {
        HttpResponse::Unauthorized()
            .insert_header(("HX-Redirect", "/login"))
            .finish()
    } else {
        see_other("/login")
    }
}

/// A page's route: its resource with the pages' headers (CSP, no-store,
/// the referrer policy) on every answer.
pub(crate) fn page_resource(
    path: &str,
) -> actix_web::Resource<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::resource(path).wrap(from_fn(page_headers))
}

/// A query parameter of a page's request, as sent.
pub(crate) fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The keys the code (not a template) turns into texts, besides the
/// months; a test checks that every catalogue has them.
pub fn built_keys() -> Vec<String> {
    vec!["date-long".to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_known_language_switches() {
        assert_eq!(chosen_language("lang=en"), Some(Lang::En));
        assert_eq!(chosen_language("x=1&lang=sv"), Some(Lang::Sv));
        assert_eq!(chosen_language("lang=de"), None);
        assert_eq!(chosen_language(""), None);
    }

    #[test]
    fn message_pages_render_in_both_languages() {
        for lang in Lang::ALL {
            let page = MessagePage {
                page: PageCtx::new(lang, None, "/"),
                message: Message::Refused,
            };
            let body = page.render().unwrap();
            assert!(body.contains(&format!("<html lang=\"{}\">", lang.code())));
            assert!(body.contains(&page.t("refused-title")));
            assert!(!body.contains("style="), "inline style");
            assert!(!body.contains("<script>"), "inline script");
        }
    }
}
