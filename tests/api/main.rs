//! The one integration test binary. Every test runs on SQLite and, when
//! `NATTPLATS_TEST_POSTGRES` names a server, on PostgreSQL too.

#[macro_use]
mod helpers;

mod access;
mod architecture;
mod audit;
mod auth;
mod browser;
mod cli;
mod cold_places;
mod concurrency;
mod coordination;
mod feedback;
mod followup;
mod guests;
mod holds;
mod idempotency;
mod idp;
mod lottery;
mod migrations;
mod night_lists;
mod no_shows;
mod ops;
mod pages;
mod pool;
mod privacy;
mod releases;
mod reports;
mod robustness;
mod rule_sets;
mod rules_boundary;
mod sequences;
mod shelters;
mod statements;
mod stays;
mod stream;
mod users;
mod web;
mod web_access;
mod web_admin;
mod web_board;
mod web_casework;
mod web_coordination;
mod web_desk;
mod web_intake;
mod web_lottery;
mod web_reports;
mod web_slip;
mod world;
