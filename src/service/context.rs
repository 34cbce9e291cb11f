//! What every act of the service needs besides its request: where the
//! data is, what time it is, and whose rules apply. The API hands this to
//! the service instead of the application's state, so nothing below the
//! API knows the web framework.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::db::DbPool;
use crate::db::partnerships::Partnership;

#[derive(Clone)]
pub struct Context {
    pub pool: DbPool,
    pub clock: Clock,
    pub partnership: Arc<Partnership>,
}

impl Context {
    /// The instant of the service's one clock (RULES.md §1).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
