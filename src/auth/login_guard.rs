//! Limits on login attempts, per username and per client address, with
//! `governor`'s keyed limiters. The counts live in the memory of one
//! instance: behind a load balancer each instance counts its own, and a
//! restart forgets them.
//!
//! Every attempt takes one cell from both budgets before the password is
//! checked: an attempt over the limit is answered 429 without spending an
//! argon2 verification and without saying whether its password was right.
//! `governor` cannot look at a budget without taking from it, so a
//! successful login costs a cell too; the budgets are sized for failures
//! and ordinary use (a desk logging in a shift) stays far below them. A
//! username's budget is shared by everyone who types that username: a
//! person guessing someone's password from many addresses locks that
//! username for the rest of the window. Other users are touched only when
//! they share the guesser's address.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::LoginLimits;

/// Usernames longer than this share the budget of their first characters;
/// it bounds the memory a key takes.
const MAX_KEY_CHARS: usize = 128;
/// Forgotten keys are swept after this many attempts.
const SWEEP_EVERY: u64 = 1024;

pub struct LoginGuard {
    by_username: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    attempts: AtomicU64,
}

impl std::fmt::Debug for LoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginGuard").finish_non_exhaustive()
    }
}

/// Which budget is spent, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    Address,
    Username,
}

impl LoginGuard {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            by_username: RateLimiter::keyed(quota(limits.per_username, limits.window_seconds)),
            by_address: RateLimiter::keyed(quota(limits.per_address, limits.window_seconds)),
            clock: DefaultClock::default(),
            attempts: AtomicU64::new(0),
        }
    }

    /// Takes one attempt for `username` from `address`. `Err` names the
    /// spent budget and the whole seconds until the next attempt may come.
    pub fn attempt(&self, username: &str, address: IpAddr) -> Result<(), (Spent, u64)> {
        if self.attempts.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.by_username.retain_recent();
            self.by_address.retain_recent();
        }
        self.by_address
            .check_key(&address_key(address))
            .map_err(|n| (Spent::Address, seconds(n.wait_time_from(self.clock.now()))))?;
        self.by_username
            .check_key(&username_key(username))
            .map_err(|n| (Spent::Username, seconds(n.wait_time_from(self.clock.now()))))?;
        Ok(())
    }
}

/// `burst` attempts at once, then one more each `window / burst`: the whole
/// budget comes back over one window.
fn quota(burst: u32, window_seconds: u64) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_secs(window_seconds.max(1)) / burst.get();
    Quota::with_period(period.max(Duration::from_millis(1)))
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst)
}

/// At least one second, rounded up.
fn seconds(wait: Duration) -> u64 {
    let s = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    s.max(1)
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

    fn guard(per_username: u32, per_address: u32) -> LoginGuard {
        LoginGuard::new(LoginLimits {
            per_username,
            per_address,
            window_seconds: 900,
        })
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_username_has_its_own_budget_across_addresses() {
        let g = guard(3, 100);
        for i in 0..3 {
            assert!(g.attempt("desk.one", ip(&format!("10.0.0.{i}"))).is_ok());
        }
        let (spent, wait) = g.attempt("Desk.One ", ip("10.0.0.9")).unwrap_err();
        assert_eq!(spent, Spent::Username);
        assert!((1..=300).contains(&wait), "{wait}");
        assert!(g.attempt("desk.two", ip("10.0.0.9")).is_ok());
    }

    #[test]
    fn an_address_has_its_own_budget_across_usernames() {
        let g = guard(100, 3);
        for i in 0..3 {
            assert!(g.attempt(&format!("user{i}"), ip("192.0.2.1")).is_ok());
        }
        let (spent, wait) = g.attempt("someone", ip("192.0.2.1")).unwrap_err();
        assert_eq!(spent, Spent::Address);
        assert!((1..=300).contains(&wait), "{wait}");
        assert!(g.attempt("someone", ip("192.0.2.2")).is_ok());
    }

    #[test]
    fn an_ipv6_slash_64_is_one_address() {
        let g = guard(100, 2);
        assert!(g.attempt("a", ip("2001:db8::1")).is_ok());
        assert!(g.attempt("b", ip("2001:db8::ffff:2")).is_ok());
        assert!(g.attempt("c", ip("2001:db8::3")).is_err());
        assert!(g.attempt("c", ip("2001:db8:0:1::3")).is_ok());
        // An IPv4 address written as IPv6 is the IPv4 address.
        assert!(g.attempt("a", ip("192.0.2.7")).is_ok());
        assert!(g.attempt("b", ip("::ffff:192.0.2.7")).is_ok());
        assert!(g.attempt("c", ip("192.0.2.7")).is_err());
    }

    #[test]
    fn waits_are_whole_seconds_and_at_least_one() {
        assert_eq!(seconds(Duration::from_millis(1)), 1);
        assert_eq!(seconds(Duration::from_millis(1500)), 2);
        assert_eq!(seconds(Duration::from_secs(90)), 90);
        assert_eq!(seconds(Duration::ZERO), 1);
    }
}
