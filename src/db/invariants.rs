//! The bed rules' invariants, checked over a whole database after a load
//! run, a crash or a restore: nobody holds two places on a night, no place
//! holds two guests, every stay that stands holds exactly its L nights,
//! and no stay begins inside the karenstid of the one before.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{bookings, stays};

/// What a check found; empty lists mean the invariants hold.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub stays: u64,
    pub held_nights: u64,
    pub double_booked_places: Vec<String>,
    pub guests_in_two_places: Vec<String>,
    pub stays_of_wrong_length: Vec<String>,
    pub stays_inside_karenstid: Vec<String>,
}

impl Report {
    pub fn holds(&self) -> bool {
        self.double_booked_places.is_empty()
            && self.guests_in_two_places.is_empty()
            && self.stays_of_wrong_length.is_empty()
            && self.stays_inside_karenstid.is_empty()
    }
}

/// At most this many examples of each violation are named.
const EXAMPLES: usize = 20;

pub fn check(conn: &mut DbConnection) -> QueryResult<Report> {
    let mut report = Report::default();
    // The unique indexes make these impossible; the check proves it.
    let places: Vec<(String, NaiveDate, i64)> = bookings::table
        .filter(bookings::held.eq(true))
        .group_by((bookings::place_id, bookings::night))
        .having(count_star().gt(1))
        .select((bookings::place_id, bookings::night, count_star()))
        .limit(EXAMPLES as i64)
        .load(conn)?;
    report.double_booked_places = places
        .into_iter()
        .map(|(p, n, c)| format!("place {p} held {c} times on {n}"))
        .collect();
    let guests: Vec<(String, NaiveDate, i64)> = bookings::table
        .filter(bookings::held.eq(true))
        .group_by((bookings::guest_id, bookings::night))
        .having(count_star().gt(1))
        .select((bookings::guest_id, bookings::night, count_star()))
        .limit(EXAMPLES as i64)
        .load(conn)?;
    report.guests_in_two_places = guests
        .into_iter()
        .map(|(g, n, c)| format!("guest {g} in {c} places on {n}"))
        .collect();

    // Every stay not voided has one booking row per night of its period
    // (released or not: a no-show or an early end never shortens it).
    let nights_per_stay: HashMap<String, i64> = bookings::table
        .filter(bookings::stay_id.is_not_null())
        .group_by(bookings::stay_id)
        .select((bookings::stay_id.assume_not_null(), count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    report.held_nights = bookings::table
        .filter(bookings::held.eq(true))
        .count()
        .get_result::<i64>(conn)?
        .try_into()
        .unwrap_or(0);
    let all: Vec<(String, String, NaiveDate, i32, i32)> = stays::table
        .filter(stays::status.ne("voided"))
        .order((stays::guest_id, stays::first_night))
        .select((
            stays::id,
            stays::guest_id,
            stays::first_night,
            stays::nights,
            stays::quarantine_nights,
        ))
        .load(conn)?;
    report.stays = all.len() as u64;
    for (id, _, _, nights, _) in &all {
        let held = nights_per_stay.get(id).copied().unwrap_or(0);
        if held != i64::from(*nights) && report.stays_of_wrong_length.len() < EXAMPLES {
            report
                .stays_of_wrong_length
                .push(format!("stay {id} has {held} nights, not {nights}"));
        }
    }
    for pair in all.windows(2) {
        let (_, g1, f1, n1, q1) = &pair[0];
        let (id2, g2, f2, _, _) = &pair[1];
        if g1 == g2
            && *f2 < *f1 + chrono::Duration::days(i64::from(*n1) + i64::from(*q1))
            && report.stays_inside_karenstid.len() < EXAMPLES
        {
            report.stays_inside_karenstid.push(format!(
                "stay {id2} of guest {g2} begins {f2}, inside the karenstid"
            ));
        }
    }
    Ok(report)
}
