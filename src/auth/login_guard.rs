//! Limits on login attempts, per username and per client address, kept in
//! the database so that every instance shares them (migration 000013).
//!
//! Each budget is a GCRA bucket (the algorithm of a token bucket, stored
//! as one instant): `tat` is when the bucket would be full again. Taking
//! one pushes `tat` on by `window / budget`; a take is granted while `tat`
//! stays within the window from now, so a full budget allows `budget`
//! attempts at once and one more each `window / budget` after. Each take
//! is one `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING` statement:
//! the database checks and takes in one step, so guesses fired at the
//! same moment at several instances cannot take more than the budget.
//!
//! The policy:
//!
//! - Every attempt takes one from its **address**'s budget before the
//!   password is checked; a successful login gives it back. A spent address
//!   budget is 429 for every username from that address.
//! - Every attempt takes one from its **username**'s budget, given back on
//!   success: the budget counts failures only. While it lasts anyone may
//!   try. When it is spent the username is slowed down, not locked: an
//!   address that has been guessing (one with a failed attempt in the last
//!   window) waits for the budget's next attempt (429 with `Retry-After`,
//!   at most `window / budget` when nobody else took it), while an address
//!   that has not been guessing still gets its password checked. If that
//!   password is wrong, it is a failure like any other: the address now has
//!   been guessing, and the username's wait grows (up to a window).
//!
//! So the real user, from an address of their own, gets in while someone
//! elsewhere guesses at their username; a guesser from one address gets
//! the username's budget, and a guesser with many addresses gets in
//! addition one guess per address and window.
//!
//! Keys are HMAC-SHA256 digests (under a key derived from the token
//! secret), so the table holds neither usernames (a mistyped one is often
//! a password) nor addresses.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use crate::config::LoginLimits;
use crate::crypto::{HmacSha256, hex_of, hmac_sha256_hex, keyed};
use crate::db::{self, DbConnection, DbPool};
use crate::error::AppError;

/// Usernames longer than this share the budget of their first characters.
const MAX_KEY_CHARS: usize = 128;
/// Full budgets are swept from the tables after this many attempts.
const SWEEP_EVERY: u64 = 256;

/// Which budget is spent, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    Address,
    Username,
}

/// One bucket's size: the step one attempt takes, and how far ahead of now
/// its `tat` may go (`budget` steps), in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    step: i64,
    limit: i64,
}

impl Bucket {
    fn new(budget: u32, window_ms: i64) -> Self {
        let budget = i64::from(budget.max(1));
        let step = (window_ms / budget).max(1);
        Self {
            step,
            limit: step * budget,
        }
    }

    /// Whole seconds, at least one, until a bucket at `tat` grants a take.
    fn retry_after(&self, tat: i64, now: i64) -> u64 {
        let wait_ms = tat.saturating_add(self.step) - self.limit - now;
        u64::try_from(wait_ms.max(0))
            .unwrap_or(0)
            .div_ceil(1000)
            .max(1)
    }
}

/// What a granted attempt took, to give back when the password was right.
#[derive(Debug, Clone)]
pub struct Ticket {
    username: String,
    address: String,
    now: i64,
    /// The address had not been guessing; this attempt marked it.
    marked: bool,
}

pub struct LoginGuard {
    username: Bucket,
    address: Bucket,
    window_ms: i64,
    /// HMAC-SHA256 keyed with a key derived from the token secret.
    key: HmacSha256,
    attempts: AtomicU64,
}

impl std::fmt::Debug for LoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginGuard").finish_non_exhaustive()
    }
}

#[derive(QueryableByName)]
struct Tat {
    #[diesel(sql_type = BigInt)]
    tat: i64,
}

#[derive(QueryableByName)]
struct AddressTake {
    #[diesel(sql_type = Bool)]
    was_guessing: bool,
}

/// Runs `$sql` (the SQLite or the PostgreSQL text) with `$bind`s, loading
/// rows of `$row`.
macro_rules! on_both {
    ($conn:expr, $row:ty, ($sqlite:expr, $postgres:expr) $(, $ty:ty => $v:expr)* $(,)?) => {
        match $conn {
            DbConnection::Sqlite(c) => diesel::sql_query($sqlite)
                $(.bind::<$ty, _>($v))*
                .load::<$row>(c),
            DbConnection::Postgres(c) => diesel::sql_query($postgres)
                $(.bind::<$ty, _>($v))*
                .load::<$row>(c),
        }
    };
}

/// Runs a statement that returns no rows on either backend.
macro_rules! execute_on_both {
    ($conn:expr, ($sqlite:expr, $postgres:expr) $(, $ty:ty => $v:expr)* $(,)?) => {
        match $conn {
            DbConnection::Sqlite(c) => diesel::sql_query($sqlite)
                $(.bind::<$ty, _>($v))*
                .execute(c),
            DbConnection::Postgres(c) => diesel::sql_query($postgres)
                $(.bind::<$ty, _>($v))*
                .execute(c),
        }
    };
}

impl LoginGuard {
    /// `secret`: the token secret, which every instance shares; the keys
    /// of the budgets are digests under a key derived from it.
    pub fn new(limits: LoginLimits, secret: &[u8]) -> Self {
        let window_ms = i64::try_from(limits.window_seconds.max(1))
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000);
        // At start-up. HMAC takes a key of any length: this never fails.
        let key = hmac_sha256_hex(secret, b"nattplats login budgets")
            .and_then(|derived| keyed(derived.as_bytes()))
            .expect("HMAC takes a key of any length");
        Self {
            username: Bucket::new(limits.per_username, window_ms),
            address: Bucket::new(limits.per_address, window_ms),
            window_ms,
            key,
            attempts: AtomicU64::new(0),
        }
    }

    fn digest(&self, kind: &str, text: &str) -> String {
        hex_of(&self.key, format!("{kind}\n{text}").as_bytes())
    }

    /// Takes one attempt for `username` from `address` (see the module's
    /// policy). `Ok(Err)` names the spent budget and the whole seconds
    /// until the next attempt may come.
    pub fn take(
        &self,
        pool: &DbPool,
        username: &str,
        address: IpAddr,
    ) -> Result<Result<Ticket, (Spent, u64)>, AppError> {
        let now = chrono::Utc::now().timestamp_millis();
        let ticket = Ticket {
            username: self.digest("username", &username_key(username)),
            address: self.digest("address", &address_key(address).to_string()),
            now,
            marked: false,
        };
        let conn = &mut pool.get()?;
        if self.attempts.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep(conn, now)?;
        }
        let taken = db::write_tx(conn, |c| self.take_in(c, ticket))?;
        Ok(taken)
    }

    fn take_in(
        &self,
        c: &mut DbConnection,
        mut ticket: Ticket,
    ) -> QueryResult<Result<Ticket, (Spent, u64)>> {
        let (now, w) = (ticket.now, self.window_ms);
        let a = self.address;
        // The address: take one, and mark it as guessing from now on if it
        // was not (a success takes the mark back).
        let took: Vec<AddressTake> = on_both!(c, AddressTake, (
            "INSERT INTO login_address_budgets (key, tat, guessing_until, was_guessing)
             VALUES (?1, ?2 + ?3, ?2 + ?5, FALSE)
             ON CONFLICT (key) DO UPDATE SET
                 tat = MAX(login_address_budgets.tat, ?2) + ?3,
                 guessing_until = CASE WHEN login_address_budgets.guessing_until > ?2
                     THEN login_address_budgets.guessing_until ELSE ?2 + ?5 END,
                 was_guessing = login_address_budgets.guessing_until > ?2
             WHERE MAX(login_address_budgets.tat, ?2) + ?3 - ?2 <= ?4
             RETURNING was_guessing",
            "INSERT INTO login_address_budgets (key, tat, guessing_until, was_guessing)
             VALUES ($1, $2 + $3, $2 + $5, FALSE)
             ON CONFLICT (key) DO UPDATE SET
                 tat = GREATEST(login_address_budgets.tat, $2) + $3,
                 guessing_until = CASE WHEN login_address_budgets.guessing_until > $2
                     THEN login_address_budgets.guessing_until ELSE $2 + $5 END,
                 was_guessing = login_address_budgets.guessing_until > $2
             WHERE GREATEST(login_address_budgets.tat, $2) + $3 - $2 <= $4
             RETURNING was_guessing"),
            Text => &ticket.address, BigInt => now, BigInt => a.step, BigInt => a.limit, BigInt => w)?;
        let Some(took) = took.first() else {
            let tat = self.tat(c, "login_address_budgets", &ticket.address)?;
            return Ok(Err((Spent::Address, a.retry_after(tat, now))));
        };
        ticket.marked = !took.was_guessing;
        let u = self.username;
        let granted: Vec<Tat> = on_both!(c, Tat, (
            "INSERT INTO login_username_budgets (key, tat) VALUES (?1, ?2 + ?3)
             ON CONFLICT (key) DO UPDATE SET tat = MAX(login_username_budgets.tat, ?2) + ?3
             WHERE MAX(login_username_budgets.tat, ?2) + ?3 - ?2 <= ?4
             RETURNING tat",
            "INSERT INTO login_username_budgets (key, tat) VALUES ($1, $2 + $3)
             ON CONFLICT (key) DO UPDATE SET tat = GREATEST(login_username_budgets.tat, $2) + $3
             WHERE GREATEST(login_username_budgets.tat, $2) + $3 - $2 <= $4
             RETURNING tat"),
            Text => &ticket.username, BigInt => now, BigInt => u.step, BigInt => u.limit)?;
        if !granted.is_empty() {
            return Ok(Ok(ticket));
        }
        if took.was_guessing {
            let tat = self.tat(c, "login_username_budgets", &ticket.username)?;
            return Ok(Err((Spent::Username, u.retry_after(tat, now))));
        }
        // Spent, but this address has not been guessing: its password is
        // checked, and a failure counts, pushing the wait on (to a window
        // past the budget at most).
        execute_on_both!(c, (
            "UPDATE login_username_budgets SET tat = MIN(MAX(tat, ?2) + ?3, ?2 + ?4 + ?4)
             WHERE key = ?1",
            "UPDATE login_username_budgets SET tat = LEAST(GREATEST(tat, $2) + $3, $2 + $4 + $4)
             WHERE key = $1"),
            Text => &ticket.username, BigInt => now, BigInt => u.step, BigInt => u.limit)?;
        Ok(Ok(ticket))
    }

    fn tat(&self, c: &mut DbConnection, table: &str, key: &str) -> QueryResult<i64> {
        let rows: Vec<Tat> = on_both!(c, Tat, (
            format!("SELECT tat FROM {table} WHERE key = ?1"),
            format!("SELECT tat FROM {table} WHERE key = $1")),
            Text => key)?;
        Ok(rows.first().map_or(0, |r| r.tat))
    }

    /// The password was right: both budgets get the attempt back, and an
    /// address this attempt marked as guessing is unmarked (unless another
    /// attempt from it has marked it since).
    pub fn succeeded(&self, pool: &DbPool, ticket: &Ticket) -> Result<(), AppError> {
        let conn = &mut pool.get()?;
        db::write_tx(conn, |c| {
            execute_on_both!(c, (
                "UPDATE login_address_budgets SET tat = tat - ?2,
                     guessing_until = CASE WHEN ?3 AND guessing_until = ?4 THEN 0 ELSE guessing_until END
                 WHERE key = ?1",
                "UPDATE login_address_budgets SET tat = tat - $2,
                     guessing_until = CASE WHEN $3 AND guessing_until = $4 THEN 0 ELSE guessing_until END
                 WHERE key = $1"),
                Text => &ticket.address, BigInt => self.address.step, Bool => ticket.marked,
                BigInt => ticket.now + self.window_ms)?;
            execute_on_both!(c, (
                "UPDATE login_username_budgets SET tat = tat - ?2 WHERE key = ?1",
                "UPDATE login_username_budgets SET tat = tat - $2 WHERE key = $1"),
                Text => &ticket.username, BigInt => self.username.step)?;
            Ok::<_, AppError>(())
        })
    }

    /// The password was wrong: the address has been guessing for a window
    /// from now.
    pub fn failed(&self, pool: &DbPool, ticket: &Ticket) -> Result<(), AppError> {
        let now = chrono::Utc::now().timestamp_millis();
        let conn = &mut pool.get()?;
        db::write_tx(conn, |c| {
            execute_on_both!(c, (
                "UPDATE login_address_budgets SET guessing_until = MAX(guessing_until, ?2 + ?3)
                 WHERE key = ?1",
                "UPDATE login_address_budgets SET guessing_until = GREATEST(guessing_until, $2 + $3)
                 WHERE key = $1"),
                Text => &ticket.address, BigInt => now, BigInt => self.window_ms)?;
            Ok::<_, AppError>(())
        })
    }

    /// Deletes full budgets (a row whose `tat` has passed says nothing a
    /// missing row does not), so guessed usernames do not pile up.
    fn sweep(&self, conn: &mut DbConnection, now: i64) -> QueryResult<()> {
        execute_on_both!(conn, (
            "DELETE FROM login_username_budgets WHERE tat < ?1",
            "DELETE FROM login_username_budgets WHERE tat < $1"),
            BigInt => now)?;
        execute_on_both!(conn, (
            "DELETE FROM login_address_budgets WHERE tat < ?1 AND guessing_until < ?1",
            "DELETE FROM login_address_budgets WHERE tat < $1 AND guessing_until < $1"),
            BigInt => now)?;
        Ok(())
    }
}

/// Usernames are compared as login compares them: trimmed, and case does
/// not make a new budget.
fn username_key(username: &str) -> String {
    username
        .trim()
        .chars()
        .take(MAX_KEY_CHARS)
        .flat_map(char::to_lowercase)
        .collect()
}

/// An IPv6 client usually holds a whole /64; it gets one budget.
fn address_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let net = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(Ipv6Addr::from(net))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn usernames_are_trimmed_and_case_folded() {
        assert_eq!(username_key(" Desk.One "), "desk.one");
        assert_eq!(username_key(&"x".repeat(500)).len(), MAX_KEY_CHARS);
    }

    #[test]
    fn an_ipv6_slash_64_is_one_address() {
        assert_eq!(
            address_key(ip("2001:db8::1")),
            address_key(ip("2001:db8::ffff:2"))
        );
        assert_ne!(
            address_key(ip("2001:db8::1")),
            address_key(ip("2001:db8:0:1::3"))
        );
        // An IPv4 address written as IPv6 is the IPv4 address.
        assert_eq!(address_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn a_budget_is_whole_steps_within_its_window() {
        let b = Bucket::new(10, 900_000);
        assert_eq!(
            b,
            Bucket {
                step: 90_000,
                limit: 900_000
            }
        );
        // A window that does not divide evenly never lets budget + 1 in.
        let b = Bucket::new(10_000, 19_999);
        assert_eq!((b.step, b.limit), (1, 10_000));
    }

    #[test]
    fn waits_are_whole_seconds_and_at_least_one() {
        let b = Bucket::new(10, 900_000);
        let now = 1_000_000;
        // Spent exactly: the next step comes back in one step.
        assert_eq!(b.retry_after(now + b.limit, now), 90);
        assert_eq!(b.retry_after(now + b.limit - 89_500, now), 1);
        assert_eq!(b.retry_after(now + b.limit - 88_500, now), 2);
        assert_eq!(b.retry_after(now, now), 1);
    }

    #[test]
    fn keys_are_digests_under_the_secret() {
        let limits = LoginLimits::default();
        let a = LoginGuard::new(limits, b"one-secret-one-secret-one-secret");
        let b = LoginGuard::new(limits, b"two-secret-two-secret-two-secret");
        let d = a.digest("username", "admin");
        assert_eq!(d.len(), 64);
        assert!(!d.contains("admin"));
        assert_ne!(d, b.digest("username", "admin"));
        assert_ne!(d, a.digest("address", "admin"));
    }

    #[test]
    fn digests_stay_what_they_were() {
        // The budgets kept in the database are found again after an upgrade.
        let g = LoginGuard::new(LoginLimits::default(), b"one-secret-one-secret-one-secret");
        assert_eq!(
            g.digest("username", "admin"),
            "71a61bd62db1a5ed6cc2ebc9e5a62120d47563a8c4d69f6845a2aa751dffbca1"
        );
    }
}
