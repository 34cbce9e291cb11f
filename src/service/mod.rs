//! The service layer: each function opens one transaction, loads what the
//! rules need, decides, writes and returns. Handlers call these; the rules
//! never reach back into the database.

pub mod act;
pub mod availability_cache;
pub mod beds;
pub mod context;
pub mod coordination;
pub mod followup;
pub mod guests;
pub mod idempotency;
pub mod lottery;
pub mod privacy;
pub mod shelters;
pub mod stays;
pub mod users;
// reports (issue 7)
pub mod feedback;
pub mod reports;
pub mod suppression;
// the pages (issue 16)
pub mod tonight;
pub mod web_sessions;

pub use context::Context;

use crate::db::{DbPool, PooledConn};
use crate::error::AppError;

/// Runs blocking database work off the async reactor, on a pooled
/// connection taken inside the blocking thread, keeping the request's span.
pub async fn blocking<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PooledConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}
