//! The service's one clock (RULES.md §1). Every rule reads "now" from here.
//!
//! In training and test mode (`NATTPLATS_CLOCK=manual`) the clock starts at
//! the real time and is then set through `PUT /admin/clock`; it stands still
//! between settings, so a test sees exactly the instant it set. It can be
//! set only to an instant whose night is one the service speaks of,
//! 2000-01-01 to 2200-12-31 ([`crate::rules::night::FIRST_NIGHT`] to
//! [`crate::rules::night::LAST_NIGHT`]); `PUT /admin/clock` refuses any
//! other with 422.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Manual(Arc<RwLock<DateTime<Utc>>>),
}

impl Clock {
    pub fn system() -> Self {
        Self::System
    }

    pub fn manual(start: DateTime<Utc>) -> Self {
        Self::Manual(Arc::new(RwLock::new(start)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Manual(t) => match t.read() {
                Ok(guard) => *guard,
                Err(poisoned) => *poisoned.into_inner(),
            },
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(self, Self::Manual(_))
    }

    /// Sets a manual clock; returns false (and changes nothing) on the
    /// system clock.
    pub fn set(&self, now: DateTime<Utc>) -> bool {
        match self {
            Self::System => false,
            Self::Manual(t) => {
                match t.write() {
                    Ok(mut guard) => *guard = now,
                    Err(poisoned) => *poisoned.into_inner() = now,
                }
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_set() {
        let start = DateTime::parse_from_rfc3339("2019-12-01T18:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::manual(start);
        assert!(clock.is_manual());
        assert_eq!(clock.now(), start);
        let later = start + chrono::Duration::hours(5);
        assert!(clock.set(later));
        assert_eq!(clock.now(), later);
    }

    #[test]
    fn the_system_clock_cannot_be_set() {
        let clock = Clock::system();
        assert!(!clock.is_manual());
        assert!(!clock.set(Utc::now() - chrono::Duration::days(400)));
        assert!((Utc::now() - clock.now()).num_seconds().abs() < 5);
    }
}
