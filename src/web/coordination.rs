//! The coordinator's cold nights and referrals inbox (issue 17).

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
