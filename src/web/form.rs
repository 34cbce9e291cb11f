//! What every form of the pages passes before its work is done, and the
//! idempotency key each carries.
//!
//! - [`posted`]: the request comes from a page of this site (`Origin`), a
//!   session is open, and the form's CSRF token (field `csrf`, or htmx's
//!   `X-CSRF-Token` header) is the session's. Anything else gets the
//!   answer a browser needs (the refusal page, or the way to sign in),
//!   and no work is done.
//! - Every form that changes something carries a hidden
//!   `idempotency_key`, made by [`new_key`] when the form is shown. The
//!   service claims it as it claims the API's `Idempotency-Key` header
//!   (`service::idempotency`): a form sent again after a dropped
//!   connection does the work once and shows the first answer.

use actix_web::{HttpRequest, HttpResponse};

use super::PageCtx;
use super::i18n::Lang;
use super::session::{self, SignedIn};
use crate::api::extract::{IdempotencyKey, RequestTag};
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::service::act::Actor;
use crate::service::idempotency::Keyed;

/// The hidden field that carries a form's idempotency key.
pub const KEY_FIELD: &str = "idempotency_key";

/// A fresh idempotency key for a form about to be shown.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A form that passed the checks: who sent it and its fields.
#[derive(Debug, Clone)]
pub struct Posted {
    pub signed: SignedIn,
    pub lang: Lang,
    fields: Vec<(String, String)>,
}

impl Posted {
    /// The first value of a field, as sent.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field's value with surrounding spaces removed; `None` when blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.field(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    pub fn caller(&self) -> &Caller {
        &self.signed.session.caller
    }

    /// The page context of the answer (its language, the session's token).
    pub fn page(&self, here: &'static str) -> PageCtx {
        PageCtx::new(self.lang, Some(self.signed.csrf().to_owned()), here)
    }

    /// The service's actor for this form's act.
    pub fn actor(&self, tag: &RequestTag) -> Actor {
        crate::api::extract::actor(self.caller(), tag)
    }

    /// The form's idempotency key (a malformed one is ignored: the form
    /// then acts as a request without a key does), claimed for `route`
    /// and the parsed request, as the API claims its header.
    pub fn keyed(&self, route: &str, request: &impl serde::Serialize) -> Keyed {
        let key = self
            .field(KEY_FIELD)
            .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
            .map(str::to_owned);
        IdempotencyKey(key).keyed(self.caller(), route, request)
    }
}

/// Every value of a repeated field of a form (checkboxes), trimmed,
/// blanks left out.
pub fn all_of(body: &[u8], name: &str) -> Vec<String> {
    form_urlencoded::parse(body)
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Checks a form (see the module's comment). `Err` is the answer to give
/// instead of doing the work.
pub async fn posted(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<Posted, HttpResponse> {
    let lang = Lang::of(req);
    if !session::same_origin(req, state.tokens.came_over_tls(req)) {
        tracing::info!(path = req.path(), "form refused: wrong origin");
        return Err(super::refused(PageCtx::new(lang, None, "/")));
    }
    let signed = match session::signed_in(req, state).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(super::to_login(req)),
        Err(e) => return Err(super::failed(req, PageCtx::new(lang, None, "/"), e)),
    };
    let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let sent = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    let ok =
        session::sent_token(req, sent).is_some_and(|t| session::tokens_match(t, signed.csrf()));
    if !ok {
        tracing::info!(path = req.path(), "form refused: wrong token");
        return Err(super::refused(PageCtx::new(
            lang,
            Some(signed.csrf().to_owned()),
            "/",
        )));
    }
    Ok(Posted {
        signed,
        lang,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_fresh_each_time_and_fits_the_api_s_rule() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert!(a.len() <= 255 && a.bytes().all(|c| c.is_ascii_graphic()));
    }
}
