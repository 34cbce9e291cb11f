//! What every act of the service needs besides its request: where the
//! data is, what time it is, whose rules apply, and who listens for
//! changes of availability. The API hands this to the service instead of
//! the application's state, so nothing below the API knows the web
//! framework.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::changes::Changes;
use crate::clock::Clock;
use crate::db::DbPool;
use crate::db::partnerships::Partnership;

#[derive(Clone)]
pub struct Context {
    pub pool: DbPool,
    pub clock: Clock,
    pub partnership: Arc<Partnership>,
    /// Availability's changes: the cache's stamps, the screens' news.
    pub changes: Arc<Changes>,
}

impl Context {
    /// The instant of the service's one clock (RULES.md §1).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
