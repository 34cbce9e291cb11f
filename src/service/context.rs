//! What every act of the service needs besides its request: where the
//! data is, what time it is, whose rules apply, and who listens for
//! changes of availability. The API hands this to the service instead of
//! the application's state, so nothing below the API knows the web
//! framework.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::changes::Changes;
use crate::clock::Clock;
use crate::db::partnerships::Partnership;
use crate::db::{DbPool, PooledConn};
use crate::error::AppError;
use crate::rules::checkin::Now;

#[derive(Clone)]
pub struct Context {
    pub pool: DbPool,
    pub clock: Clock,
    pub partnership: Arc<Partnership>,
    /// Availability's changes: the cache's stamps, the screens' news.
    pub changes: Arc<Changes>,
    /// The instance's occupancy index (`service::occupancy`).
    pub occupancy: Arc<crate::service::occupancy::Shared>,
}

impl Context {
    /// The instant of the service's one clock (RULES.md §1).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The clock as the rules see it: the instant, tonight and tonight's
    /// cutoff, by the partnership's calendar and rule set.
    pub fn rules_now(&self) -> Result<Now, AppError> {
        crate::service::beds::now_for(&self.partnership, self.now())
    }

    /// A connection of the pool for one act.
    pub fn connection(&self) -> Result<PooledConn, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs an act, which blocks on the database, off the async reactor,
    /// in the request's tracing span.
    pub async fn run<T, F>(&self, act: F) -> Result<T, AppError>
    where
        F: FnOnce(&Context) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let ctx = self.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            act(&ctx)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("an act stopped unfinished: {e}")))?
    }
}
