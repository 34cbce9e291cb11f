//! Incidents and bans, complaints and feedback, the survey entry form (issue 17).

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
