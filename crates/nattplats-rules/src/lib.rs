//! The bed rules of RULES.md as pure functions: plain values in, decisions
//! out. Nothing in here touches the database, the network or the clock; the
//! caller (the service, `nattplats::clock::Clock`) reads "now" and passes it
//! in. A crate of its own: its manifest names no crate of storage or HTTP,
//! so the compiler refuses any import of them here. The service names it
//! `nattplats::rules`.
//!
//! Swedish words are kept where the English one would mislead:
//! *karenstid* is the waiting period after a stay (RULES.md §3).

pub mod checkin;
pub mod coldnight;
pub mod eligibility;
pub mod kinds;
pub mod lottery;
mod model;
pub mod night;
pub mod refusal;
pub mod ruleset;
pub mod stay;

pub use kinds::{Gender, PlaceCategory};
pub use night::{Calendar, Night};
pub use refusal::{Alternative, FreePlace, Refusal};
pub use ruleset::RuleSet;
