//! Nights (RULES.md §1).
//!
//! A night is named by the local date of the evening it begins. Night D runs
//! from D at `night_starts_at` local time until D+1 at the same local time.
//! Every boundary is computed on the local wall clock, so a daylight-saving
//! change makes a night 23 or 25 hours long but never moves it.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A night, named by the date of the evening it begins (`YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Night(NaiveDate);

/// The first night this service speaks of.
pub const FIRST_NIGHT: Night = Night(match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
});
/// The last night this service speaks of.
pub const LAST_NIGHT: Night = Night(match NaiveDate::from_ymd_opt(2200, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
});

impl Night {
    pub const fn new(date: NaiveDate) -> Self {
        Self(date)
    }

    pub const fn date(self) -> NaiveDate {
        self.0
    }

    /// The night `n` nights later (`n` may be negative). Saturates at the
    /// ends of the calendar rather than panicking.
    pub fn plus(self, n: i64) -> Self {
        let shifted = if n >= 0 {
            self.0.checked_add_days(Days::new(n.unsigned_abs()))
        } else {
            self.0.checked_sub_days(Days::new(n.unsigned_abs()))
        };
        Self(shifted.unwrap_or(if n >= 0 {
            NaiveDate::MAX
        } else {
            NaiveDate::MIN
        }))
    }

    /// Whether this is a night the service speaks of, [`FIRST_NIGHT`] to
    /// [`LAST_NIGHT`]: no shelter night lies outside, and the databases'
    /// date functions (SQLite's end at year 9999, PostgreSQL has no year 0)
    /// and chrono's calendar end long before the dates outside would.
    pub fn in_range(self) -> bool {
        (FIRST_NIGHT..=LAST_NIGHT).contains(&self)
    }

    /// Nights from `self` to `other`: `other - self`.
    pub fn nights_until(self, other: Night) -> i64 {
        (other.0 - self.0).num_days()
    }
}

impl fmt::Display for Night {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// The error of a string that is not a night.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a night is a date written YYYY-MM-DD, from 2000-01-01 to 2200-12-31, got {0:?}")]
pub struct BadNight(pub String);

impl FromStr for Night {
    type Err = BadNight;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Exactly ten characters: chrono alone would accept "2019-1-2".
        if s.len() != 10 {
            return Err(BadNight(s.to_owned()));
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Night)
            .ok()
            .filter(|n| n.in_range())
            .ok_or_else(|| BadNight(s.to_owned()))
    }
}

/// The partnership's calendar: its time zone and the local time at which
/// one night hands over to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    pub zone: Tz,
    pub night_starts_at: NaiveTime,
}

impl Calendar {
    pub fn new(zone: Tz, night_starts_at: NaiveTime) -> Self {
        Self {
            zone,
            night_starts_at,
        }
    }

    /// The local wall-clock time of an instant. Never panics: at the ends
    /// of chrono's calendar, where the local time cannot be written, the
    /// UTC time stands in for it.
    pub fn local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        let utc = instant.naive_utc();
        let offset = self.zone.offset_from_utc_datetime(&utc).fix();
        utc.checked_add_offset(offset).unwrap_or(utc)
    }

    /// The night an instant belongs to.
    pub fn night_of(&self, instant: DateTime<Utc>) -> Night {
        let local = self.local(instant);
        let date = local.date();
        if local.time() >= self.night_starts_at {
            Night(date)
        } else {
            Night(date.pred_opt().unwrap_or(date))
        }
    }

    /// The instant a night begins.
    pub fn night_begins(&self, night: Night) -> DateTime<Utc> {
        self.local_instant(night.date().and_time(self.night_starts_at))
    }

    /// The instant at which a local time-of-day falls during `night`: on the
    /// evening's date when it is at or after the night's start, otherwise on
    /// the next morning. The no-show cutoff (RULES.md §4) is one of these.
    pub fn during(&self, night: Night, time: NaiveTime) -> DateTime<Utc> {
        let date = if time >= self.night_starts_at {
            night.date()
        } else {
            night.plus(1).date()
        };
        self.local_instant(date.and_time(time))
    }

    /// A local wall-clock time as an instant. A time skipped by a
    /// daylight-saving change is taken as the first instant after the gap;
    /// a time that happens twice as its first occurrence.
    fn local_instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.zone.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            LocalResult::None => {
                // Gaps are at most a few hours; step forward a minute at a time.
                let mut probe = local;
                for _ in 0..(24 * 60) {
                    let Some(next) = probe.checked_add_signed(chrono::Duration::minutes(1)) else {
                        break;
                    };
                    probe = next;
                    if let Some(t) = self.zone.from_local_datetime(&probe).earliest() {
                        return t.with_timezone(&Utc);
                    }
                }
                Utc.from_utc_datetime(&local)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stockholm() -> Calendar {
        Calendar::new(
            chrono_tz::Europe::Stockholm,
            NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
        )
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn night(s: &str) -> Night {
        s.parse().unwrap()
    }

    #[test]
    fn early_morning_belongs_to_the_night_before() {
        // RULES.md §1: 2019-12-02 01:30 local belongs to night 2019-12-01.
        assert_eq!(
            stockholm().night_of(utc("2019-12-02T01:30:00+01:00")),
            night("2019-12-01")
        );
    }

    #[test]
    fn noon_begins_the_next_night() {
        // RULES.md §1: 2019-12-02 12:00 begins night 2019-12-02.
        assert_eq!(
            stockholm().night_of(utc("2019-12-02T12:00:00+01:00")),
            night("2019-12-02")
        );
        assert_eq!(
            stockholm().night_of(utc("2019-12-02T11:59:59+01:00")),
            night("2019-12-01")
        );
    }

    #[test]
    fn autumn_dst_night_is_25_hours_and_not_moved() {
        let cal = stockholm();
        let n = night("2019-10-26");
        let begins = cal.night_begins(n);
        let ends = cal.night_begins(n.plus(1));
        assert_eq!(begins, utc("2019-10-26T12:00:00+02:00"));
        assert_eq!(ends, utc("2019-10-27T12:00:00+01:00"));
        assert_eq!((ends - begins).num_hours(), 25);
        // 02:30 happens twice that morning; both belong to the same night.
        assert_eq!(cal.night_of(utc("2019-10-27T02:30:00+02:00")), n);
        assert_eq!(cal.night_of(utc("2019-10-27T02:30:00+01:00")), n);
        assert_eq!(cal.night_of(utc("2019-10-27T11:59:00+01:00")), n);
        assert_eq!(cal.night_of(utc("2019-10-27T12:00:00+01:00")), n.plus(1));
    }

    #[test]
    fn the_ends_of_the_calendar_do_not_panic() {
        // Issue 14, item 8: a clock at the end of chrono's range panicked
        // every request that asked for tonight.
        let cal = stockholm();
        for instant in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            let night = cal.night_of(instant);
            for n in [night, night.plus(1), night.plus(-1)] {
                let _ = cal.night_begins(n);
                let _ = cal.during(n, NaiveTime::from_hms_opt(1, 0, 0).unwrap());
                let _ = cal.during(n, NaiveTime::from_hms_opt(18, 0, 0).unwrap());
            }
        }
    }

    #[test]
    fn spring_dst_night_is_23_hours_and_not_moved() {
        let cal = stockholm();
        let n = night("2020-03-28");
        let begins = cal.night_begins(n);
        let ends = cal.night_begins(n.plus(1));
        assert_eq!(begins, utc("2020-03-28T12:00:00+01:00"));
        assert_eq!(ends, utc("2020-03-29T12:00:00+02:00"));
        assert_eq!((ends - begins).num_hours(), 23);
        assert_eq!(cal.night_of(utc("2020-03-29T03:30:00+02:00")), n);
        assert_eq!(cal.night_of(utc("2020-03-29T01:59:00+01:00")), n);
    }

    #[test]
    fn cutoff_is_on_the_evening_or_the_next_morning() {
        let cal = stockholm();
        let n = night("2019-12-01");
        assert_eq!(
            cal.during(n, NaiveTime::from_hms_opt(23, 0, 0).unwrap()),
            utc("2019-12-01T23:00:00+01:00")
        );
        assert_eq!(
            cal.during(n, NaiveTime::from_hms_opt(1, 0, 0).unwrap()),
            utc("2019-12-02T01:00:00+01:00")
        );
        assert_eq!(
            cal.during(n, NaiveTime::from_hms_opt(12, 0, 0).unwrap()),
            utc("2019-12-01T12:00:00+01:00")
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_to_the_end_of_the_gap() {
        let cal = Calendar::new(
            chrono_tz::Europe::Stockholm,
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        );
        assert_eq!(
            cal.night_begins(night("2020-03-29")),
            utc("2020-03-29T03:00:00+02:00")
        );
    }

    #[test]
    fn a_two_hour_gap_is_crossed_too() {
        // Troll station goes from +00 to +02: 01:00 to 03:00 local is skipped.
        let cal = Calendar::new(
            chrono_tz::Antarctica::Troll,
            NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
        );
        assert_eq!(
            cal.night_begins(night("2020-03-29")),
            utc("2020-03-29T01:00:00Z")
        );
    }

    #[test]
    fn night_arithmetic() {
        let n = night("2019-12-31");
        assert_eq!(n.plus(1), night("2020-01-01"));
        assert_eq!(n.plus(-31), night("2019-11-30"));
        assert_eq!(n.nights_until(night("2020-01-05")), 5);
        assert_eq!(n.to_string(), "2019-12-31");
        assert_eq!(Night::new(NaiveDate::MAX).plus(1).date(), NaiveDate::MAX);
        assert_eq!(Night::new(NaiveDate::MIN).plus(-1).date(), NaiveDate::MIN);
    }

    #[test]
    fn night_parsing_is_strict() {
        assert!("2019-12-01".parse::<Night>().is_ok());
        assert_eq!("2000-01-01".parse::<Night>(), Ok(FIRST_NIGHT));
        assert_eq!("2200-12-31".parse::<Night>(), Ok(LAST_NIGHT));
        for bad in [
            "2019-1-2",
            "2019-02-30",
            "yesterday",
            "",
            "2019-12-01T00:00",
            // Outside the service's nights (issue 14, item 7).
            "-001-01-01",
            "0000-01-01",
            "1999-12-31",
            "2201-01-01",
            "+10000-01-0",
        ] {
            assert_eq!(bad.parse::<Night>(), Err(BadNight(bad.to_owned())));
        }
    }
}
