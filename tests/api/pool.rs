//! The pool's check of a PostgreSQL connection before use (issue 18): a
//! connection given back a moment ago is handed out without a round trip;
//! one that has lain idle is checked first, so a connection the server
//! dropped meanwhile is replaced before an act meets it; and a connection
//! found dead by an act is dropped, not handed out again. (An SQLite
//! connection is a file this process holds open: never checked.)

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use nattplats::db::{DbConnection, DbPool, build_pool_checking_after};

use crate::helpers::*;

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

/// The server process of the pool's one connection, which goes back to
/// the pool.
fn backend_pid(pool: &DbPool) -> Result<i32, diesel::result::Error> {
    let mut conn = pool.get().expect("a connection");
    let DbConnection::Postgres(c) = &mut **conn else {
        panic!("a PostgreSQL pool")
    };
    diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(c)
        .map(|p| p.pid)
}

/// Ends the server process `pid` as a restart or a failover would, and
/// waits until it is gone (`pg_terminate_backend` with a timeout).
fn terminate(pool: &DbPool, pid: i32) {
    #[derive(QueryableByName)]
    struct Ended {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ended: bool,
    }
    let mut conn = pool.get().expect("another connection");
    let DbConnection::Postgres(c) = &mut **conn else {
        panic!("a PostgreSQL pool")
    };
    let ended = diesel::sql_query("SELECT pg_terminate_backend($1, $2) AS ended")
        .bind::<Integer, _>(pid)
        .bind::<BigInt, _>(10_000)
        .get_result::<Ended>(c)
        .expect("terminate");
    assert!(ended.ended, "the server process {pid} did not end");
}

/// A PostgreSQL database of its own, and a second pool to end the first
/// one's connections from.
async fn two_pools(idle: Duration) -> Option<(TestApp, DbPool, DbPool)> {
    if !postgres_enabled() {
        return None;
    }
    let app = spawn_app(Backend::Postgres).await;
    let url = app.settings.database.clone();
    let pool = build_pool_checking_after(&url, 1, idle);
    let other = build_pool_checking_after(&url, 1, idle);
    Some((app, pool, other))
}

#[tokio::test]
async fn a_connection_given_back_a_moment_ago_is_not_checked_and_one_found_dead_is_dropped() {
    // Never idle long enough to be checked.
    let Some((_app, pool, other)) = two_pools(Duration::from_secs(3600)).await else {
        return;
    };
    let first = backend_pid(&pool).expect("a live connection");
    terminate(&other, first);
    // Handed out unchecked (no `SELECT 1`): the act meets the dead
    // connection and fails, as `unavailable`.
    let failed = backend_pid(&pool).expect_err("the connection's server process is gone");
    let answer = nattplats::error::AppError::from(failed);
    assert!(
        matches!(answer, nattplats::error::AppError::Unavailable(_)),
        "{answer:?}"
    );
    // The pool dropped it: the next act has a new connection.
    let second = backend_pid(&pool).expect("a new connection");
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_connection_that_has_lain_idle_is_checked_and_replaced_before_use() {
    // Every connection has lain idle long enough.
    let Some((_app, pool, other)) = two_pools(Duration::ZERO).await else {
        return;
    };
    let first = backend_pid(&pool).expect("a live connection");
    terminate(&other, first);
    // The check found it dead; the act never saw it.
    let second = backend_pid(&pool).expect("the pool opened a new connection");
    assert_ne!(first, second);
}
