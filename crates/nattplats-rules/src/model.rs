//! Property tests: random sequences of intakes, check-ins, no-shows (the
//! clock moving on), ends, moves and voids, run by a small in-memory
//! ledger that decides only through the functions of `rules`, and checked
//! against the invariants of RULES.md after every step:
//!
//! - no guest holds two places on one night, no place two guests;
//! - no stay starts inside an earlier non-voided stay or its karenstid;
//! - every stay is exactly L nights, L fixed by its first place.

#![cfg(test)]

use chrono::{DateTime, Duration, NaiveTime, Utc};
use proptest::prelude::*;

use super::checkin::{self, NightFacts, Now};
use super::eligibility::{self, GuestFacts, LatestStay, StayStatus};
use super::kinds::{Gender, PlaceCategory};
use super::stay::{self, Period};
use super::{Calendar, Night, RuleSet};

const PLACES: [(usize, PlaceCategory); 4] = [
    (0, PlaceCategory::Regular),
    (1, PlaceCategory::Regular),
    (2, PlaceCategory::Women),
    (3, PlaceCategory::Overflow),
];
const GUESTS: usize = 5;

#[derive(Debug, Clone)]
struct SimNight {
    night: Night,
    place: usize,
    checked_in: bool,
    released: bool,
    /// No longer holds its place (released, or lapsed and taken).
    held: bool,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct SimStay {
    guest: usize,
    category: PlaceCategory,
    period: Period,
    status: StayStatus,
    voided: bool,
    nights: Vec<SimNight>,
}

#[derive(Debug, Clone)]
enum Op {
    Intake {
        guest: usize,
        category: Option<PlaceCategory>,
        tomorrow: bool,
    },
    CheckIn {
        guest: usize,
    },
    End {
        guest: usize,
    },
    Move {
        guest: usize,
        place: usize,
    },
    Void {
        guest: usize,
    },
    /// The clock moves on by this many hours.
    Wait {
        hours: i64,
    },
}

fn ops() -> impl Strategy<Value = Op> {
    let guest = 0..GUESTS;
    let category = prop_oneof![
        Just(None),
        Just(Some(PlaceCategory::Regular)),
        Just(Some(PlaceCategory::Women)),
        Just(Some(PlaceCategory::Overflow)),
    ];
    prop_oneof![
        4 => (guest.clone(), category, any::<bool>())
            .prop_map(|(guest, category, tomorrow)| Op::Intake { guest, category, tomorrow }),
        4 => guest.clone().prop_map(|guest| Op::CheckIn { guest }),
        1 => guest.clone().prop_map(|guest| Op::End { guest }),
        1 => (guest.clone(), 0..PLACES.len()).prop_map(|(guest, place)| Op::Move { guest, place }),
        1 => guest.prop_map(|guest| Op::Void { guest }),
        4 => (1i64..30).prop_map(|hours| Op::Wait { hours }),
    ]
}

struct Ledger {
    calendar: Calendar,
    rules: RuleSet,
    instant: DateTime<Utc>,
    stays: Vec<SimStay>,
}

fn gender(guest: usize) -> Gender {
    if guest.is_multiple_of(2) {
        Gender::Woman
    } else {
        Gender::Man
    }
}

fn adult() -> GuestFacts {
    GuestFacts {
        birth_date: None,
        birth_year: 1980,
        citizenship: "RO".into(),
        residence_permit_country: None,
    }
}

impl Ledger {
    fn new() -> Self {
        let calendar = Calendar::new(
            chrono_tz::Europe::Stockholm,
            NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
        );
        let start = DateTime::parse_from_rfc3339("2019-12-01T17:00:00+01:00")
            .unwrap()
            .with_timezone(&Utc);
        Self {
            calendar,
            rules: RuleSet::defaults("2019-01-01".parse().unwrap()),
            instant: start,
            stays: vec![],
        }
    }

    fn now(&self) -> Now {
        let night = self.calendar.night_of(self.instant);
        Now {
            instant: self.instant,
            night,
            cutoff: self.calendar.during(night, self.rules.no_show_cutoff),
        }
    }

    fn facts(n: &SimNight) -> NightFacts {
        NightFacts {
            night: n.night,
            checked_in: n.checked_in,
            released: n.released,
            created_at: n.created_at,
        }
    }

    /// Whether a night holds its place against others right now.
    fn holds(n: &SimNight, now: &Now) -> bool {
        n.held && !checkin::lapsed(&Self::facts(n), now)
    }

    /// Settles no-shows, as the service does before every decision.
    fn settle(&mut self) {
        let now = self.now();
        for s in self
            .stays
            .iter_mut()
            .filter(|s| s.status == StayStatus::Active && !s.voided)
        {
            let facts: Vec<NightFacts> = s.nights.iter().map(Self::facts).collect();
            if let Some(last) =
                checkin::ends_by_no_shows(&facts, &now, self.rules.no_show_ends_stay_after)
            {
                s.status = StayStatus::Ended;
                for n in s
                    .nights
                    .iter_mut()
                    .filter(|n| n.night > last && !n.checked_in)
                {
                    n.released = true;
                    n.held = false;
                }
            }
        }
    }

    fn latest(&self, guest: usize) -> Option<(usize, LatestStay)> {
        self.stays
            .iter()
            .enumerate()
            .filter(|(_, s)| s.guest == guest && !s.voided)
            .max_by_key(|(_, s)| s.period.first_night)
            .map(|(i, s)| {
                (
                    i,
                    LatestStay {
                        id: i.to_string(),
                        period: s.period,
                        status: s.status,
                    },
                )
            })
    }

    fn place_free(&self, place: usize, first: Night, last: Night, except: Option<usize>) -> bool {
        let now = self.now();
        !self.stays.iter().enumerate().any(|(i, s)| {
            Some(i) != except
                && s.nights.iter().any(|n| {
                    n.place == place && n.night >= first && n.night <= last && Self::holds(n, &now)
                })
        })
    }

    fn guest_holds(&self, guest: usize, first: Night, last: Night) -> bool {
        let now = self.now();
        self.stays.iter().any(|s| {
            s.guest == guest
                && s.nights
                    .iter()
                    .any(|n| n.night >= first && n.night <= last && Self::holds(n, &now))
        })
    }

    /// Marks lapsed nights on `place` or of `guest` tonight as no longer held.
    fn release_lapsed(&mut self, place: usize, guest: usize) {
        let now = self.now();
        for s in &mut self.stays {
            let g = s.guest;
            for n in &mut s.nights {
                if (n.place == place || g == guest) && checkin::lapsed(&Self::facts(n), &now) {
                    n.held = false;
                }
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        self.settle();
        let now = self.now();
        match *op {
            Op::Wait { hours } => self.instant += Duration::hours(hours),
            Op::Intake {
                guest,
                category,
                tomorrow,
            } => {
                let first = if tomorrow {
                    now.night.plus(1)
                } else {
                    now.night
                };
                let Ok(categories) = stay::stay_categories(category, gender(guest)) else {
                    return;
                };
                let history = self.latest(guest).map(|(_, l)| l);
                let preferred = Period::granted(first, categories[0], &self.rules);
                let longest = categories
                    .iter()
                    .map(|c| Period::granted(first, *c, &self.rules).last_night())
                    .max()
                    .unwrap_or(first);
                let case = eligibility::StayCase {
                    guest: &adult(),
                    latest: history.as_ref(),
                    already_placed: self.guest_holds(guest, first, longest),
                    bans: &[],
                    shelter_id: "s",
                    period: preferred,
                    current: now.night,
                    category_fits: true,
                };
                if eligibility::may_start_stay(&case, &self.rules).is_err() {
                    return;
                }
                for c in categories {
                    let period = Period::granted(first, c, &self.rules);
                    let place = PLACES
                        .iter()
                        .find(|(p, pc)| {
                            *pc == c && self.place_free(*p, first, period.last_night(), None)
                        })
                        .map(|(p, _)| *p);
                    if let Some(place) = place {
                        if first == now.night {
                            self.release_lapsed(place, guest);
                        }
                        let nights = period
                            .nights()
                            .into_iter()
                            .map(|night| SimNight {
                                night,
                                place,
                                checked_in: false,
                                released: false,
                                held: true,
                                created_at: self.instant,
                            })
                            .collect();
                        self.stays.push(SimStay {
                            guest,
                            category: c,
                            period,
                            status: StayStatus::Active,
                            voided: false,
                            nights,
                        });
                        return;
                    }
                }
            }
            Op::CheckIn { guest } => {
                let Some((i, _)) = self.latest(guest) else {
                    return;
                };
                let s = &mut self.stays[i];
                if let Some(n) = s.nights.iter_mut().find(|n| n.night == now.night)
                    && !n.released
                    && n.held
                {
                    n.checked_in = true;
                }
            }
            Op::End { guest } => {
                let Some((i, l)) = self.latest(guest) else {
                    return;
                };
                if l.status != StayStatus::Active || l.period.last_night() < now.night {
                    return;
                }
                let s = &mut self.stays[i];
                s.status = StayStatus::Ended;
                for n in s
                    .nights
                    .iter_mut()
                    .filter(|n| n.night >= now.night && !n.checked_in)
                {
                    n.released = true;
                    n.held = false;
                }
            }
            Op::Void { guest } => {
                let Some((i, _)) = self.latest(guest) else {
                    return;
                };
                let s = &mut self.stays[i];
                s.voided = true;
                for n in &mut s.nights {
                    n.released = true;
                    n.held = false;
                }
            }
            Op::Move { guest, place } => {
                let Some((i, l)) = self.latest(guest) else {
                    return;
                };
                if l.status != StayStatus::Active || l.period.last_night() < now.night {
                    return;
                }
                let category = PLACES[place].1;
                if !stay::fits_stay(category, gender(guest)) {
                    return;
                }
                let remaining: Vec<Night> = self.stays[i]
                    .nights
                    .iter()
                    .filter(|n| n.night >= now.night && !n.released)
                    .map(|n| n.night)
                    .collect();
                let (Some(from), Some(to)) =
                    (remaining.first().copied(), remaining.last().copied())
                else {
                    return;
                };
                if !self.place_free(place, from, to, Some(i)) {
                    return;
                }
                if from == now.night {
                    self.release_lapsed(place, usize::MAX);
                }
                let instant = self.instant;
                for n in self.stays[i]
                    .nights
                    .iter_mut()
                    .filter(|n| n.night >= from && !n.released)
                {
                    n.place = place;
                    n.held = true;
                    n.created_at = instant;
                }
            }
        }
    }

    fn check_invariants(&self) -> Result<(), TestCaseError> {
        let now = self.now();
        let live: Vec<&SimStay> = self.stays.iter().filter(|s| !s.voided).collect();
        // One place, one guest, one night; one guest, one place, one night.
        let mut seen_place = std::collections::HashSet::new();
        let mut seen_guest = std::collections::HashSet::new();
        for s in &live {
            for n in s.nights.iter().filter(|n| Self::holds(n, &now)) {
                prop_assert!(
                    seen_place.insert((n.place, n.night)),
                    "place {} twice on {}",
                    n.place,
                    n.night
                );
                prop_assert!(
                    seen_guest.insert((s.guest, n.night)),
                    "guest {} twice on {}",
                    s.guest,
                    n.night
                );
                prop_assert!(
                    PLACES[n.place].1 != PlaceCategory::Overflow,
                    "a stay on an overflow place"
                );
                prop_assert!(stay::fits_stay(PLACES[n.place].1, gender(s.guest)));
            }
        }
        for s in &live {
            // Every stay is exactly L nights, L fixed by its category.
            // The reference: RULES.md §3 read directly, not through length_for.
            let l = match s.category {
                PlaceCategory::Women => self.rules.women_nights,
                _ => self.rules.regular_nights,
            };
            prop_assert_eq!(s.period.length, l);
            prop_assert_eq!(s.nights.len() as u32, l);
            for (k, n) in s.nights.iter().enumerate() {
                prop_assert_eq!(n.night, s.period.first_night.plus(k as i64));
            }
            // No stay starts inside another's period or karenstid.
            for t in live.iter().filter(|t| t.guest == s.guest) {
                if t.period.first_night > s.period.first_night {
                    prop_assert!(
                        t.period.first_night >= s.period.eligible_again_from(),
                        "a stay from {} inside the karenstid of one from {}",
                        t.period.first_night,
                        s.period.first_night
                    );
                }
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_nights_keep_the_invariants(ops in prop::collection::vec(ops(), 1..120)) {
        let mut ledger = Ledger::new();
        for op in &ops {
            ledger.apply(op);
            ledger.check_invariants()?;
        }
    }
}
