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
pub mod occupancy;
pub mod privacy;
pub mod rule_sets;
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
/// A task that does not finish (it panicked) is an internal error.
pub async fn blocking<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PooledConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_a_pooled_connection_and_a_panic_is_an_internal_error() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = crate::config::DatabaseUrl::Sqlite(dir.path().join("blocking.db"));
        let pool = crate::db::build_pool(&url, 1);
        let answer = blocking(&pool, |_| Ok(7)).await;
        assert_eq!(answer.ok(), Some(7));
        let failed = blocking(&pool, |_| -> Result<(), AppError> {
            panic!("a fault in the act")
        })
        .await;
        assert!(matches!(failed, Err(AppError::Internal(_))), "{failed:?}");
    }
}
