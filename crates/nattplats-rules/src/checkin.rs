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
    lapses(n.night, n.checked_in, n.created_at, now)
}

fn lapses(night: Night, checked_in: bool, created_at: DateTime<Utc>, now: &Now) -> bool {
    night == now.night && !checked_in && now.instant >= now.cutoff && created_at < now.cutoff
}

/// The state of one night of a stay. `ended_from` is the stay's
/// [`no_show_end`]: once it has begun, the nights from it on are released.
pub fn night_state(n: &NightFacts, ended_from: Option<Night>, now: &Now) -> NightState {
    if n.checked_in {
        NightState::CheckedIn
    } else if n.released || released_by_no_shows(ended_from, n.night, now) {
        NightState::Released
    } else if n.night < now.night || lapsed(n, now) {
        NightState::NoShow
    } else {
        NightState::Reserved
    }
}

/// The night from which a stay is ended by no-shows unless a check-in
/// comes first: the night after the first run of `limit` consecutive nights
/// of the stay neither checked in nor released, nights still to come
/// counted as missed. `None` when `limit` is 0 or no run fits in the stay.
/// `nights` are the stay's nights in order.
///
/// A check-in is only ever recorded for tonight, so nights before tonight
/// are settled facts: once this night has begun, the run before it is over
/// and the stay has ended (RULES.md §4, "at the moment the last of them is
/// over"). Until then a check-in can still move it.
pub fn no_show_end(nights: &[NightFacts], limit: u32) -> Option<Night> {
    if limit == 0 {
        return None;
    }
    let mut run = 0u32;
    let mut previous: Option<Night> = None;
    for n in nights {
        let consecutive = previous.is_some_and(|p| p.plus(1) == n.night);
        let missed = !n.checked_in && !n.released;
        run = match (missed, consecutive) {
            (false, _) => 0,
            (true, true) => run + 1,
            (true, false) => 1,
        };
        previous = Some(n.night);
        if run >= limit {
            return Some(n.night.plus(1));
        }
    }
    None
}

/// Whether the no-show ending `ended_from` has begun by `now` and releases
/// `night`.
pub fn released_by_no_shows(ended_from: Option<Night>, night: Night, now: &Now) -> bool {
    ended_from.is_some_and(|e| e <= now.night && night >= e)
}

/// The night after which a stay has ended by no-shows, now: the last of
/// the first run of `limit` consecutive missed nights, once it is over.
pub fn ends_by_no_shows(nights: &[NightFacts], now: &Now, limit: u32) -> Option<Night> {
    no_show_end(nights, limit)
        .filter(|e| *e <= now.night)
        .map(|e| e.plus(-1))
}

/// One booking as the rule of what holds a place needs it: a night of a
/// stay or a single-night placement, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub night: Night,
    /// A night of a stay (placements neither lapse nor end by no-shows).
    pub of_stay: bool,
    /// Not written down as released, nor as lapsed and taken by another.
    pub held: bool,
    pub checked_in: bool,
    pub created_at: DateTime<Utc>,
    /// The stay's [`no_show_end`], as kept with each of its nights.
    pub no_show_end: Option<Night>,
}

/// Whether a booking holds its place on its night, now (RULES.md §2, §4):
/// not released, not tonight's lapsed reservation, not a night its stay's
/// no-shows have released. The one definition of "held": every query of
/// the storage layer that filters on it is tested against this function.
pub fn holds(h: &Hold, now: &Now) -> bool {
    h.held
        && !(h.of_stay && lapses(h.night, h.checked_in, h.created_at, now))
        && !(h.of_stay && released_by_no_shows(h.no_show_end, h.night, now))
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
            night_state(&tonight, None, &now("2019-12-02T21:59:59Z")),
            NightState::Reserved
        );
        assert_eq!(
            night_state(&tonight, None, &now("2019-12-02T22:00:00Z")),
            NightState::NoShow
        );
    }

    #[test]
    fn a_checked_in_night_never_lapses() {
        let tonight = facts("2019-12-02", true, false);
        assert!(!lapsed(&tonight, &now("2019-12-02T23:00:00Z")));
        assert_eq!(
            night_state(&tonight, None, &now("2019-12-02T23:00:00Z")),
            NightState::CheckedIn
        );
    }

    #[test]
    fn a_reservation_made_after_the_cutoff_is_kept_that_night() {
        let mut late = facts("2019-12-02", false, false);
        late.created_at = at("2019-12-02T22:30:00Z");
        assert!(!lapsed(&late, &now("2019-12-02T23:00:00Z")));
        assert_eq!(
            night_state(&late, None, &now("2019-12-02T23:00:00Z")),
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
            night_state(&tomorrow, None, &now("2019-12-02T23:00:00Z")),
            NightState::Reserved
        );
        let yesterday = facts("2019-12-01", false, false);
        assert!(!lapsed(&yesterday, &now("2019-12-02T13:00:00Z")));
        assert_eq!(
            night_state(&yesterday, None, &now("2019-12-02T13:00:00Z")),
            NightState::NoShow
        );
    }

    #[test]
    fn released_nights_say_so() {
        let gone = facts("2019-12-03", false, true);
        assert_eq!(
            night_state(&gone, None, &now("2019-12-02T13:00:00Z")),
            NightState::Released
        );
        let past = facts("2019-12-01", false, true);
        assert_eq!(
            night_state(&past, None, &now("2019-12-02T13:00:00Z")),
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

    fn run(first: &str, checked: &[bool]) -> Vec<NightFacts> {
        let first = night(first);
        checked
            .iter()
            .enumerate()
            .map(|(i, c)| NightFacts {
                night: first.plus(i as i64),
                checked_in: *c,
                released: false,
                created_at: at("2019-12-01T14:00:00Z"),
            })
            .collect()
    }

    fn now_on(n: &str, instant: &str) -> Now {
        let n = night(n);
        Now {
            instant: at(instant),
            night: n,
            cutoff: at(&format!("{}T22:00:00Z", n.date())),
        }
    }

    #[test]
    fn no_shows_end_a_stay_from_the_night_after_the_run_counting_nights_to_come_as_missed() {
        // Nothing checked in: nights 1 and 2 missed end it from night 3.
        let none = run("2019-12-01", &[false; 5]);
        assert_eq!(no_show_end(&none, 2), Some(night("2019-12-03")));
        assert_eq!(no_show_end(&none, 1), Some(night("2019-12-02")));
        assert_eq!(no_show_end(&none, 5), Some(night("2019-12-06")));
        assert_eq!(no_show_end(&none, 6), None);
        assert_eq!(no_show_end(&none, 0), None);
        // A check-in on night 2 moves it: nights 3 and 4 missed end it from 5.
        let second = run("2019-12-01", &[false, true, false, false, false]);
        assert_eq!(no_show_end(&second, 2), Some(night("2019-12-05")));
        // Checked in on the fourth night: only the last night is left, and
        // one missed night is not two.
        let fourth = run("2019-12-01", &[true, true, true, true, false]);
        assert_eq!(no_show_end(&fourth, 2), None);
        assert_eq!(no_show_end(&fourth, 1), Some(night("2019-12-06")));
        // A released night breaks the run like a check-in.
        let mut released = run("2019-12-01", &[false; 3]);
        released[1].released = true;
        assert_eq!(no_show_end(&released, 2), None);
        // So does a gap between nights.
        let gap = vec![
            run("2019-12-01", &[false])[0],
            run("2019-12-03", &[false])[0],
        ];
        assert_eq!(no_show_end(&gap, 2), None);
    }

    #[test]
    fn the_ending_has_begun_from_its_night_on_and_releases_that_night_and_later() {
        let end = Some(night("2019-12-03"));
        let before = now_on("2019-12-02", "2019-12-03T10:59:59Z");
        let from = now_on("2019-12-03", "2019-12-03T11:00:00Z");
        assert!(!released_by_no_shows(end, night("2019-12-03"), &before));
        assert!(!released_by_no_shows(end, night("2019-12-04"), &before));
        assert!(released_by_no_shows(end, night("2019-12-03"), &from));
        assert!(released_by_no_shows(end, night("2019-12-05"), &from));
        // The missed nights before it are no-shows, not released.
        assert!(!released_by_no_shows(end, night("2019-12-02"), &from));
        assert!(!released_by_no_shows(None, night("2019-12-03"), &from));
    }

    #[test]
    fn ends_by_no_shows_names_the_last_missed_night_once_the_ending_has_begun() {
        let none = run("2019-12-01", &[false; 5]);
        // Late on the second evening the guest may still come.
        let second_evening = now_on("2019-12-02", "2019-12-02T23:30:00Z");
        assert_eq!(ends_by_no_shows(&none, &second_evening, 2), None);
        let third = now_on("2019-12-03", "2019-12-03T11:00:00Z");
        assert_eq!(
            ends_by_no_shows(&none, &third, 2),
            Some(night("2019-12-02"))
        );
    }

    fn hold(n: &str) -> Hold {
        Hold {
            night: night(n),
            of_stay: true,
            held: true,
            checked_in: false,
            created_at: at("2019-12-01T14:00:00Z"),
            no_show_end: None,
        }
    }

    #[test]
    fn what_holds_a_place() {
        let evening = now_on("2019-12-02", "2019-12-02T21:00:00Z");
        let late = now_on("2019-12-02", "2019-12-02T22:00:00Z");
        let tonight = hold("2019-12-02");
        assert!(holds(&tonight, &evening));
        // Written down as released or taken.
        assert!(!holds(
            &Hold {
                held: false,
                ..tonight
            },
            &evening
        ));
        // Tonight's lapse: past the cutoff, not checked in, made before it.
        assert!(!holds(&tonight, &late));
        assert!(holds(
            &Hold {
                checked_in: true,
                ..tonight
            },
            &late
        ));
        let made_late = Hold {
            created_at: at("2019-12-02T22:00:00Z"),
            ..tonight
        };
        assert!(holds(&made_late, &late));
        assert!(holds(&hold("2019-12-03"), &late));
        // A placement neither lapses nor ends by no-shows.
        let placement = Hold {
            of_stay: false,
            no_show_end: Some(night("2019-12-02")),
            ..tonight
        };
        assert!(holds(&placement, &late));
        // The stay's no-shows release tonight and later from the ending on.
        let ended = Hold {
            no_show_end: Some(night("2019-12-02")),
            ..tonight
        };
        assert!(!holds(&ended, &evening));
        assert!(!holds(
            &Hold {
                night: night("2019-12-04"),
                ..ended
            },
            &evening
        ));
        let not_yet = Hold {
            no_show_end: Some(night("2019-12-03")),
            ..tonight
        };
        assert!(holds(&not_yet, &evening));
        assert!(holds(
            &Hold {
                night: night("2019-12-03"),
                ..not_yet
            },
            &evening
        ));
    }

    #[test]
    fn a_night_released_by_no_shows_says_so() {
        let third = now_on("2019-12-03", "2019-12-03T11:00:00Z");
        let n = facts("2019-12-04", false, false);
        assert_eq!(
            night_state(&n, Some(night("2019-12-03")), &third),
            NightState::Released
        );
        assert_eq!(
            night_state(&n, Some(night("2019-12-05")), &third),
            NightState::Reserved
        );
        let missed = facts("2019-12-02", false, false);
        assert_eq!(
            night_state(&missed, Some(night("2019-12-03")), &third),
            NightState::NoShow
        );
    }
}
