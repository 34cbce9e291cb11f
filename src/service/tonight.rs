//! "Tonight at my shelter": every bed of a shelter on the current night,
//! by label and category, with who holds it and its state (RULES.md §2,
//! §4): expected, checked in, a no-show once the cutoff has passed, free,
//! or out of service. Read only; what holds a place is the one rule,
//! `rules::checkin::holds`, and a night's state `rules::checkin::night_state`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::db::DbConnection;
use crate::db::places::PlaceRow;
use crate::db::tonight::{self, NightBooking};
use crate::error::AppError;
use crate::ids::BookingKind;
use crate::rules::Night;
use crate::rules::checkin::{self, NightFacts, NightState, Now};
use crate::rules::kinds::PlaceCategory;

/// The state of a bed tonight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BedState {
    /// Held by a reservation or a placement, nobody checked in yet.
    Expected,
    CheckedIn,
    /// Its guest did not check in by the cutoff: the reservation no longer
    /// holds the bed tonight, and nobody else has taken it.
    NoShow,
    Free,
    OutOfService,
}

impl BedState {
    /// The word the pages' catalogues know it by.
    pub fn key(self) -> &'static str {
        match self {
            Self::Expected => "expected",
            Self::CheckedIn => "checked-in",
            Self::NoShow => "no-show",
            Self::Free => "free",
            Self::OutOfService => "out-of-service",
        }
    }
}

/// Who is on a bed tonight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupant {
    pub guest_id: String,
    pub given_name: String,
    pub family_name: String,
    /// `stay`, `emergency` or `cold_night`.
    pub kind: String,
    /// The stay, or the single-night placement.
    pub subject_id: String,
    pub checked_in_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bed {
    pub place_id: String,
    pub label: String,
    pub category: String,
    pub state: BedState,
    pub occupant: Option<Occupant>,
}

/// A guest with a stay who did not check in by the cutoff and whose bed
/// someone else holds now: the desk can move the stay to a free bed and
/// so let the guest in (a check-in alone is refused,
/// `reservation-released`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Late {
    /// The label of the bed the stay had tonight.
    pub label: String,
    pub occupant: Occupant,
}

#[derive(Debug, Clone)]
pub struct Tonight {
    pub night: Night,
    pub beds: Vec<Bed>,
    /// The late guests whose beds were given away, in label order.
    pub late: Vec<Late>,
}

impl Tonight {
    /// The guests the list names: what a read of it puts on the audit trail.
    pub fn occupants(&self) -> impl Iterator<Item = &Occupant> {
        self.beds
            .iter()
            .filter_map(|b| b.occupant.as_ref())
            .chain(self.late.iter().map(|l| &l.occupant))
    }
}

fn occupant(b: &NightBooking) -> Option<Occupant> {
    let subject_id = match b.booking.kind.as_str() {
        "stay" => b.booking.stay_id.as_ref().map(String::from),
        _ => b.placement_id.clone(),
    }?;
    Some(Occupant {
        guest_id: b.booking.guest_id.to_string(),
        given_name: b.given_name.clone(),
        family_name: b.family_name.clone(),
        kind: b.booking.kind.as_str().to_owned(),
        subject_id,
        checked_in_at: b.booking.checked_in_at.map(|t| t.and_utc()),
    })
}

/// The night's state of a reservation that no longer holds its bed.
fn stay_night_state(b: &NightBooking, now: &Now) -> NightState {
    let facts = NightFacts {
        night: Night::new(b.booking.night),
        checked_in: b.booking.checked_in_at.is_some(),
        released: b.booking.released,
        created_at: b.booking.created_at.and_utc(),
    };
    checkin::night_state(&facts, b.booking.no_show_end.map(Night::new), now)
}

/// One bed from its place and the night's bookings of it.
fn bed(place: &PlaceRow, bookings: &[&NightBooking], out_of_service: bool, now: &Now) -> Bed {
    let holder = bookings.iter().find(|b| b.booking.holds(now));
    let (state, occupant) = match holder {
        Some(b) if b.booking.checked_in_at.is_some() => (BedState::CheckedIn, occupant(b)),
        Some(b) => (BedState::Expected, occupant(b)),
        None => match bookings.iter().rev().find(|b| {
            b.booking.kind == BookingKind::Stay && stay_night_state(b, now) == NightState::NoShow
        }) {
            Some(b) => (BedState::NoShow, occupant(b)),
            None if out_of_service => (BedState::OutOfService, None),
            None => (BedState::Free, None),
        },
    };
    Bed {
        place_id: place.id.to_string(),
        label: place.label.clone(),
        category: place.category.clone(),
        state,
        occupant,
    }
}

/// The shelter's beds on the current night of `now`, in label order. An
/// overflow place is a bed only on a night a cold night opens it (or while
/// someone holds it).
pub fn tonight(conn: &mut DbConnection, shelter_id: &str, now: &Now) -> Result<Tonight, AppError> {
    let night = now.night.date();
    let places = crate::db::places::list_places(conn, shelter_id)?;
    let bookings = tonight::bookings_at(conn, shelter_id, night)?;
    let outages: HashSet<String> = tonight::out_of_service(conn, shelter_id, night)?
        .into_iter()
        .collect();
    let open_overflow: HashSet<String> = crate::db::coldnights::open_overflow(conn, night)?
        .into_iter()
        .collect();
    let mut by_place: HashMap<&str, Vec<&NightBooking>> = HashMap::new();
    for b in &bookings {
        by_place.entry(&b.booking.place_id).or_default().push(b);
    }
    let mut late = Vec::new();
    let beds = places
        .iter()
        .filter_map(|p| {
            let of_place = by_place.get(p.id.as_str()).cloned().unwrap_or_default();
            let opened = p.category != PlaceCategory::Overflow.as_str()
                || open_overflow.contains(p.id.as_str());
            let b = bed(p, &of_place, outages.contains(p.id.as_str()), now);
            if matches!(b.state, BedState::Expected | BedState::CheckedIn) {
                late.extend(given_away(p, &of_place, now));
            }
            (opened || b.occupant.is_some()).then_some(b)
        })
        .collect();
    Ok(Tonight {
        night: now.night,
        beds,
        late,
    })
}

/// The no-shows of a bed someone else holds now.
fn given_away(place: &PlaceRow, bookings: &[&NightBooking], now: &Now) -> Vec<Late> {
    bookings
        .iter()
        .filter(|b| {
            b.booking.kind == BookingKind::Stay
                && !b.booking.holds(now)
                && stay_night_state(b, now) == NightState::NoShow
        })
        .filter_map(|b| occupant(b))
        .map(|occupant| Late {
            label: place.label.clone(),
            occupant,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::stays::BookingRow;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Night 2019-12-02, cutoff 23:00 local (22:00 UTC).
    fn now(instant: &str) -> Now {
        Now {
            instant: at(instant),
            night: "2019-12-02".parse().unwrap(),
            cutoff: at("2019-12-02T22:00:00Z"),
        }
    }

    fn place() -> PlaceRow {
        PlaceRow {
            id: crate::ids::PlaceId::stored("p1".into()),
            shelter_id: crate::ids::ShelterId::stored("s1".into()),
            label: "R01".into(),
            category: "regular".into(),
            created_at: at("2019-11-01T00:00:00Z").naive_utc(),
        }
    }

    fn booking(kind: &str, checked_in: bool, held: bool) -> NightBooking {
        NightBooking {
            booking: BookingRow {
                id: format!("b-{kind}"),
                guest_id: crate::ids::GuestId::stored(format!("g-{kind}")),
                place_id: crate::ids::PlaceId::stored("p1".into()),
                shelter_id: crate::ids::ShelterId::stored("s1".into()),
                night: "2019-12-02".parse().unwrap(),
                kind: kind.parse().unwrap(),
                stay_id: (kind == "stay").then(|| crate::ids::StayId::stored("st1".into())),
                released: false,
                held,
                checked_in_at: checked_in.then(|| at("2019-12-02T18:30:00Z").naive_utc()),
                created_at: at("2019-12-01T14:00:00Z").naive_utc(),
                no_show_end: None,
            },
            given_name: "A".into(),
            family_name: "B".into(),
            placement_id: (kind != "stay").then(|| "pl1".to_owned()),
        }
    }

    #[test]
    fn a_reservation_is_expected_until_the_cutoff_then_a_no_show() {
        let b = booking("stay", false, true);
        let before = bed(&place(), &[&b], false, &now("2019-12-02T21:59:00Z"));
        assert_eq!(before.state, BedState::Expected);
        assert_eq!(before.occupant.as_ref().unwrap().subject_id, "st1");
        let after = bed(&place(), &[&b], false, &now("2019-12-02T22:00:00Z"));
        assert_eq!(after.state, BedState::NoShow);
        assert_eq!(after.occupant.unwrap().guest_id, "g-stay");
    }

    #[test]
    fn a_checked_in_guest_holds_the_bed_after_the_cutoff() {
        let b = booking("stay", true, true);
        let bed = bed(&place(), &[&b], false, &now("2019-12-02T23:30:00Z"));
        assert_eq!(bed.state, BedState::CheckedIn);
        assert!(bed.occupant.unwrap().checked_in_at.is_some());
    }

    #[test]
    fn a_lapsed_bed_taken_by_someone_else_shows_who_took_it() {
        let lapsed = booking("stay", false, false);
        let mut taken = booking("emergency", false, true);
        taken.booking.created_at = at("2019-12-02T22:30:00Z").naive_utc();
        let bed = bed(
            &place(),
            &[&lapsed, &taken],
            false,
            &now("2019-12-02T22:45:00Z"),
        );
        assert_eq!(bed.state, BedState::Expected);
        let o = bed.occupant.unwrap();
        assert_eq!(
            (o.kind.as_str(), o.subject_id.as_str()),
            ("emergency", "pl1")
        );
    }

    #[test]
    fn a_no_show_whose_bed_was_given_away_is_a_late_guest() {
        let lapsed = booking("stay", false, false);
        let mut taken = booking("emergency", false, true);
        taken.booking.created_at = at("2019-12-02T22:30:00Z").naive_utc();
        let n = now("2019-12-02T22:45:00Z");
        let late = given_away(&place(), &[&lapsed, &taken], &n);
        assert_eq!(late.len(), 1);
        assert_eq!(
            (late[0].label.as_str(), late[0].occupant.subject_id.as_str()),
            ("R01", "st1")
        );
        // Before the cutoff nobody is late.
        assert!(given_away(&place(), &[&lapsed], &now("2019-12-02T21:00:00Z")).is_empty());
    }

    #[test]
    fn a_released_night_leaves_the_bed_free_or_out_of_service() {
        let mut ended = booking("stay", false, false);
        ended.booking.released = true;
        let n = now("2019-12-02T23:00:00Z");
        assert_eq!(bed(&place(), &[&ended], false, &n).state, BedState::Free);
        assert_eq!(bed(&place(), &[], true, &n).state, BedState::OutOfService);
        assert_eq!(bed(&place(), &[], false, &n).occupant, None);
    }
}
