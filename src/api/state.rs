//! What every handler can reach: the application's state. `startup`
//! builds it and hands it to the server; the handlers read it, and give
//! the service only its narrow [`Context`].
//!
//! It lives in the API, not in `startup`, so that the arrow goes one way:
//! `startup` builds the API (routes, middleware, this state) and the API
//! knows nothing of `startup`.

use std::sync::Arc;

use crate::auth::TokenKeys;
use crate::changes::Changes;
use crate::clock::Clock;
use crate::db::DbPool;
use crate::db::partnerships::Partnership;
use crate::forecast::ForecastSource;
use crate::service::Context;
use crate::service::availability_cache::AvailabilityCache;
use crate::service::reports::ReportState;

/// What every handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub clock: Clock,
    pub tokens: TokenKeys,
    pub partnership: Arc<Partnership>,
    /// Tells availability screens that something changed.
    pub changes: Arc<Changes>,
    /// Web origins allowed to call the API from a browser (CORS).
    pub cors_origins: Vec<String>,
    /// The last availability answers, while still true.
    pub availability: AvailabilityCache,
    /// Forecast minimums for cold-night suggestions, when configured.
    pub forecast: Option<Arc<dyn ForecastSource>>,
    /// Reports (issue 7): the suppression threshold and the export key.
    pub reports: ReportState,
    /// The pages (issue 16): how long a session lasts, whether its cookie
    /// is always `Secure`.
    pub web: crate::config::WebSettings,
    /// SQLite's checkpoints, off the writers' path (none on PostgreSQL);
    /// it stops with the state.
    pub checkpointer: Option<crate::db::Checkpointer>,
    /// Folds the summaries' log into the summaries, off the acts' path;
    /// it stops with the state.
    pub folder: Option<crate::db::summaries::Folder>,
}

impl AppState {
    /// The narrow context the service's acts take.
    pub fn service(&self) -> Context {
        Context {
            pool: self.pool.clone(),
            clock: self.clock.clone(),
            partnership: self.partnership.clone(),
            changes: self.changes.clone(),
            occupancy: self.availability.occupancy(),
        }
    }

    /// Announces a change of availability after it has been committed.
    pub async fn changed(&self) {
        self.changes
            .announce(&self.pool, Some(self.clock.now()))
            .await;
    }

    /// Announces a change of the rule sets after it has been committed:
    /// the other instances read them again.
    pub async fn rules_changed(&self) {
        self.changes
            .announce_rules(&self.pool, self.clock.now())
            .await;
    }
}
