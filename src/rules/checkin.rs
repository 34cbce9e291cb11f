//! Check-in and no-shows (RULES.md §4), decided from the clock.
//!
//! A reservation not checked in by the cutoff of its night stops holding
//! the place for that night, unless it was made after the cutoff. A night
//! counts as a no-show for ending the stay once it is over; after
//! `no_show_ends_stay_after` consecutive no-show nights the stay ends and
//! its later nights are released. Nothing here needs a background job:
//! every answer is computed from the booking and "now".

use chrono::{DateTime, Utc};

use super::Night;

/// What is known of one night of a stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NightFacts {
    pub night: Night,
    pub checked_in: bool,
    /// Released by an end, a move away, a void or a no-show ending.
    pub released: bool,
    pub created_at: DateTime<Utc>,
}

/// The clock, as the rules need it: the current night and its cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub instant: DateTime<Utc>,
    pub night: Night,
    pub cutoff: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NightState {
    Reserved,
    CheckedIn,
    NoShow,
    Released,
}

/// Whether tonight's reservation has lapsed: past the cutoff, not checked
/// in, made before the cutoff. A lapsed reservation no longer holds its
/// place against others that night, but the guest may still check in if
/// nobody has taken it.
pub fn lapsed(n: &NightFacts, now: &Now) -> bool {
    n.night == now.night && !n.checked_in && now.instant >= now.cutoff && n.created_at < now.cutoff
}

pub fn night_state(n: &NightFacts, now: &Now) -> NightState {
    if n.checked_in {
        NightState::CheckedIn
    } else if n.released {
        NightState::Released
    } else if n.night < now.night || lapsed(n, now) {
        NightState::NoShow
    } else {
        NightState::Reserved
    }
}

/// The night after which a stay ends by no-shows: the last of the first
/// run of `limit` consecutive nights, all over, none checked in, none
/// released. `nights` are the stay's nights in order.
pub fn ends_by_no_shows(nights: &[NightFacts], now: &Now, limit: u32) -> Option<Night> {
    let mut run = 0u32;
    let mut previous: Option<Night> = None;
    for n in nights {
        if n.night >= now.night {
            break;
        }
        let consecutive = previous.is_some_and(|p| p.plus(1) == n.night);
        let missed = !n.checked_in && !n.released;
        run = match (missed, consecutive) {
            (false, _) => 0,
            (true, true) => run + 1,
            (true, false) => 1,
        };
        previous = Some(n.night);
        if limit > 0 && run >= limit {
            return Some(n.night);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn night(s: &str) -> Night {
        s.parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Night 2019-12-02, cutoff 23:00 local (22:00 UTC).
    fn now(instant: &str) -> Now {
        Now {
            instant: at(instant),
            night: night("2019-12-02"),
            cutoff: at("2019-12-02T22:00:00Z"),
        }
    }

    fn facts(n: &str, checked_in: bool, released: bool) -> NightFacts {
        NightFacts {
            night: night(n),
            checked_in,
            released,
            created_at: at("2019-12-01T14:00:00Z"),
        }
    }

    #[test]
    fn a_reservation_lapses_at_the_cutoff() {
        let tonight = facts("2019-12-02", false, false);
        assert!(!lapsed(&tonight, &now("2019-12-02T21:59:59Z")));
        assert!(lapsed(&tonight, &now("2019-12-02T22:00:00Z")));
        assert!(lapsed(&tonight, &now("2019-12-03T10:00:00Z")));
        assert_eq!(
            night_state(&tonight, &now("2019-12-02T21:59:59Z")),
            NightState::Reserved
        );
        assert_eq!(
            night_state(&tonight, &now("2019-12-02T22:00:00Z")),
            NightState::NoShow
        );
    }

    #[test]
    fn a_checked_in_night_never_lapses() {
        let tonight = facts("2019-12-02", true, false);
        assert!(!lapsed(&tonight, &now("2019-12-02T23:00:00Z")));
        assert_eq!(
            night_state(&tonight, &now("2019-12-02T23:00:00Z")),
            NightState::CheckedIn
        );
    }

    #[test]
    fn a_reservation_made_after_the_cutoff_is_kept_that_night() {
        let mut late = facts("2019-12-02", false, false);
        late.created_at = at("2019-12-02T22:30:00Z");
        assert!(!lapsed(&late, &now("2019-12-02T23:00:00Z")));
        assert_eq!(
            night_state(&late, &now("2019-12-02T23:00:00Z")),
            NightState::Reserved
        );
        late.created_at = at("2019-12-02T22:00:00Z");
        assert!(!lapsed(&late, &now("2019-12-02T23:00:00Z")));
    }

    #[test]
    fn only_tonight_lapses() {
        let tomorrow = facts("2019-12-03", false, false);
        assert!(!lapsed(&tomorrow, &now("2019-12-02T23:00:00Z")));
        assert_eq!(
            night_state(&tomorrow, &now("2019-12-02T23:00:00Z")),
            NightState::Reserved
        );
        let yesterday = facts("2019-12-01", false, false);
        assert!(!lapsed(&yesterday, &now("2019-12-02T13:00:00Z")));
        assert_eq!(
            night_state(&yesterday, &now("2019-12-02T13:00:00Z")),
            NightState::NoShow
        );
    }

    #[test]
    fn released_nights_say_so() {
        let gone = facts("2019-12-03", false, true);
        assert_eq!(
            night_state(&gone, &now("2019-12-02T13:00:00Z")),
            NightState::Released
        );
        let past = facts("2019-12-01", false, true);
        assert_eq!(
            night_state(&past, &now("2019-12-02T13:00:00Z")),
            NightState::Released
        );
    }

    #[test]
    fn two_consecutive_past_no_shows_end_the_stay() {
        let n = now("2019-12-04T13:00:00Z");
        let n = Now {
            night: night("2019-12-04"),
            cutoff: at("2019-12-04T22:00:00Z"),
            ..n
        };
        let nights = vec![
            facts("2019-12-01", true, false),
            facts("2019-12-02", false, false),
            facts("2019-12-03", false, false),
            facts("2019-12-04", false, false),
            facts("2019-12-05", false, false),
        ];
        assert_eq!(ends_by_no_shows(&nights, &n, 2), Some(night("2019-12-03")));
        assert_eq!(ends_by_no_shows(&nights, &n, 3), None);
        assert_eq!(ends_by_no_shows(&nights, &n, 1), Some(night("2019-12-02")));
    }

    #[test]
    fn tonights_no_show_does_not_count_until_the_night_is_over() {
        // 12-02 missed, 12-03 is tonight and past the cutoff: not yet two.
        let n = Now {
            instant: at("2019-12-03T23:30:00Z"),
            night: night("2019-12-03"),
            cutoff: at("2019-12-03T22:00:00Z"),
        };
        let nights = vec![
            facts("2019-12-01", true, false),
            facts("2019-12-02", false, false),
            facts("2019-12-03", false, false),
        ];
        assert_eq!(ends_by_no_shows(&nights, &n, 2), None);
    }

    #[test]
    fn a_check_in_breaks_the_run() {
        let n = Now {
            instant: at("2019-12-06T13:00:00Z"),
            night: night("2019-12-06"),
            cutoff: at("2019-12-06T22:00:00Z"),
        };
        let nights = vec![
            facts("2019-12-01", false, false),
            facts("2019-12-02", true, false),
            facts("2019-12-03", false, false),
            facts("2019-12-04", true, false),
            facts("2019-12-05", false, false),
        ];
        assert_eq!(ends_by_no_shows(&nights, &n, 2), None);
        // Released nights are not no-shows.
        let released = vec![
            facts("2019-12-01", false, false),
            facts("2019-12-02", false, true),
            facts("2019-12-03", false, false),
        ];
        assert_eq!(ends_by_no_shows(&released, &n, 2), None);
    }

    #[test]
    fn a_gap_between_nights_breaks_the_run() {
        let n = Now {
            instant: at("2019-12-06T13:00:00Z"),
            night: night("2019-12-06"),
            cutoff: at("2019-12-06T22:00:00Z"),
        };
        let nights = vec![
            facts("2019-12-01", false, false),
            facts("2019-12-03", false, false),
        ];
        assert_eq!(ends_by_no_shows(&nights, &n, 2), None);
        assert_eq!(ends_by_no_shows(&nights, &n, 0), None);
    }
}
