//! (issue 17: being written)

use actix_web::web;

/// The routes of these pages.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
