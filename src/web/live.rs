//! The pages' live streams (`GET /tonight/events`, `GET /board/events`):
//! a `change` event, without data, each time the service announces a
//! change (any desk, socialjouren, the API, any instance); the page then
//! fetches its part again, an audited read. Every change and every
//! keep-alive checks the session again (signed out, expired, deactivated,
//! no longer allowed: the stream ends).

use std::time::Duration;

use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::session::SignedIn;
use crate::api::state::AppState;
use crate::auth::Caller;

/// A comment line this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Whether a caller may still listen (the route's own rule).
pub type Admits = Box<dyn Fn(&Caller) -> bool>;

struct Listening {
    state: web::Data<AppState>,
    rx: tokio::sync::broadcast::Receiver<()>,
    token: String,
    user_id: String,
    admits: Admits,
    first: bool,
    /// A change came before the stream listened.
    missed: bool,
}

impl Listening {
    /// Whether the session that opened the stream still holds, for the
    /// same user, still admitted.
    async fn still_admitted(&self) -> bool {
        let token = self.token.clone();
        let now = Utc::now().naive_utc();
        let found = crate::service::blocking(&self.state.pool, move |conn| {
            crate::service::web_sessions::resume(conn, &token, now)
        })
        .await;
        matches!(found, Ok(Some(s)) if s.caller.user_id == self.user_id && (self.admits)(&s.caller))
    }
}

/// The stream for `signed`. `since` is the count of changes the page's
/// part was read at: anything since (before this stream listened) is
/// said at once. Another instance counts its own changes; a needless
/// fetch is all that costs.
pub fn changes(
    state: web::Data<AppState>,
    signed: &SignedIn,
    since: Option<u64>,
    admits: Admits,
) -> HttpResponse {
    let rx = state.changes.subscribe();
    let missed = since.is_some_and(|g| g != state.changes.generation());
    let start = Listening {
        rx,
        missed,
        state,
        token: signed.token.clone(),
        user_id: signed.session.caller.user_id.clone(),
        admits,
        first: true,
    };
    let stream = futures_util::stream::unfold(start, |mut s| async move {
        if s.first {
            s.first = false;
            // Reconnect after 5 s when the line drops.
            let first = if s.missed {
                "retry: 5000\n\nevent: change\ndata: \n\n"
            } else {
                "retry: 5000\n\n"
            };
            return Some((Ok::<_, actix_web::Error>(web::Bytes::from(first)), s));
        }
        let heard = tokio::select! {
            heard = s.rx.recv() => match heard {
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                // Several changes at once (or more than the channel
                // holds) make one event.
                _ => {
                    while s.rx.try_recv().is_ok() {}
                    true
                }
            },
            () = tokio::time::sleep(KEEP_ALIVE) => false,
        };
        if !s.still_admitted().await {
            return None;
        }
        let message = if heard {
            "event: change\ndata: \n\n"
        } else {
            ": still here\n\n"
        };
        Some((Ok(web::Bytes::from(message)), s))
    });
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CONTENT_TYPE, "text/event-stream"))
        .streaming(stream)
}
