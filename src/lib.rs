//! nattplats: night-shelter places and check-in for the City of
//! Stockholm's partnership with four NGOs for homeless EU citizens.
//!
//! The tree reads as the architecture: `rules` is the law as pure
//! functions, `db` is diesel on SQLite or PostgreSQL, `service` runs one
//! transaction per act, `api` is the HTTP contract, `web` the pages (a second door into the
//! same service), `auth` says who calls.

pub mod api;
pub mod audit;
pub mod auth;
pub mod changes;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod forecast;
pub mod ids;
pub mod service;
pub mod startup;
pub mod telemetry;
pub mod web;

/// The bed rules are a crate of their own (`crates/nattplats-rules`), so
/// that nothing of storage or HTTP can be imported there; the service names
/// them `crate::rules`, as before.
pub use nattplats_rules as rules;
