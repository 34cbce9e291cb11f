//! Intake by lottery: sessions, applicants, the draw and its verification (issue 17).

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
