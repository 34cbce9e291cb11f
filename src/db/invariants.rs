//! The bed rules' invariants, checked over a whole database after a load
//! run, a crash or a restore: nobody holds two places on a night, no place
//! holds two guests, every stay that stands holds exactly its L nights,
//! no stay begins inside the karenstid of the one before, and the counts
//! kept for the screens and the reports are what the rows say.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{bookings, place_counts, places, stays};

/// What a check found; empty lists mean the invariants hold.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub stays: u64,
    pub held_nights: u64,
    pub double_booked_places: Vec<String>,
    pub guests_in_two_places: Vec<String>,
    pub stays_of_wrong_length: Vec<String>,
    pub stays_inside_karenstid: Vec<String>,
    /// Kept counts (`held_counts`, `place_counts`) that differ from a count
    /// of the rows they summarise.
    pub counts_off: Vec<String>,
}

impl Report {
    pub fn holds(&self) -> bool {
        self.double_booked_places.is_empty()
            && self.guests_in_two_places.is_empty()
            && self.stays_of_wrong_length.is_empty()
            && self.stays_inside_karenstid.is_empty()
            && self.counts_off.is_empty()
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
    report.counts_off = counts_off(conn)?;
    Ok(report)
}

/// The kept counts against a count of the rows, both ways round.
fn counts_off(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    type Held = (NaiveDate, String, String, i64, i64);
    #[derive(QueryableByName)]
    struct Counted {
        #[diesel(sql_type = diesel::sql_types::Date)]
        night: NaiveDate,
        #[diesel(sql_type = diesel::sql_types::Text)]
        shelter_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        category: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        held: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        unconfirmed: i64,
    }
    let counted: Vec<Held> = diesel::sql_query(
        "SELECT b.night, b.shelter_id, p.category, COUNT(*) AS held, \
                CAST(SUM(CASE WHEN b.kind = 'stay' AND b.checked_in_at IS NULL \
                         THEN 1 ELSE 0 END) AS BIGINT) AS unconfirmed \
         FROM bookings b JOIN places p ON p.id = b.place_id \
         WHERE b.held GROUP BY b.night, b.shelter_id, p.category",
    )
    .load::<Counted>(conn)?
    .into_iter()
    .map(|c| (c.night, c.shelter_id, c.category, c.held, c.unconfirmed))
    .collect();
    let kept: Vec<Held> = super::summaries::held(conn, None, None)?
        .into_iter()
        .filter(|(_, h)| h.held != 0 || h.unconfirmed != 0)
        .map(|((n, s, c), h)| (n, s, c, h.held, h.unconfirmed))
        .collect();
    let mut off = differences(counted, kept, |(n, s, c, h, u)| {
        (format!("{n} {s} {c}"), (*h, *u))
    });
    let places_counted: Vec<(String, String, i64)> = places::table
        .group_by((places::shelter_id, places::category))
        .select((places::shelter_id, places::category, count_star()))
        .load(conn)?;
    let places_kept: Vec<(String, String, i64)> = place_counts::table
        .filter(place_counts::places.gt(0))
        .select((
            place_counts::shelter_id,
            place_counts::category,
            place_counts::places,
        ))
        .load::<(String, String, i32)>(conn)?
        .into_iter()
        .map(|(s, c, n)| (s, c, i64::from(n)))
        .collect();
    off.extend(differences(places_counted, places_kept, |(s, c, n)| {
        (format!("places {s} {c}"), (*n, 0))
    }));
    off.extend(reports_off(conn)?);
    off.truncate(EXAMPLES);
    Ok(off)
}

/// The report summaries as they stand (folded, and still in the log)
/// against a count of the bookings and stays.
fn reports_off(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Night {
        #[diesel(sql_type = diesel::sql_types::Date)]
        night: NaiveDate,
        #[diesel(sql_type = diesel::sql_types::Text)]
        shelter_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        category: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        booked: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        occupied: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        released: i64,
    }
    type Row = (String, [i64; 3]);
    let counted: Vec<Row> = diesel::sql_query(
        "SELECT b.night, b.shelter_id, p.category, b.kind, COUNT(*) AS booked, \
                CAST(SUM(CASE WHEN NOT b.released AND (b.kind <> 'stay' OR b.checked_in_at IS NOT NULL) \
                         THEN 1 ELSE 0 END) AS BIGINT) AS occupied, \
                CAST(SUM(CASE WHEN b.released THEN 1 ELSE 0 END) AS BIGINT) AS released \
         FROM bookings b JOIN places p ON p.id = b.place_id \
         GROUP BY b.night, b.shelter_id, p.category, b.kind",
    )
    .load::<Night>(conn)?
    .into_iter()
    .map(|n| {
        (
            format!("nights {} {} {} {}", n.night, n.shelter_id, n.category, n.kind),
            [n.booked, n.occupied, n.released],
        )
    })
    .collect();
    let (first, last) = (
        NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default(),
    );
    let kept: Vec<Row> = super::summaries::nights(conn, first, last, None)?
        .into_iter()
        .filter(|(_, c)| *c != super::summaries::Counts::default())
        .map(|((n, s, c, k), v)| {
            (
                format!("nights {n} {s} {c} {k}"),
                [v.booked, v.occupied, v.released],
            )
        })
        .collect();
    let mut off = differences(counted, kept, |(k, v)| (k.clone(), *v));
    #[derive(QueryableByName)]
    struct Outcome {
        #[diesel(sql_type = diesel::sql_types::Text)]
        shelter_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        outcome: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        stays: i64,
    }
    let counted: Vec<(String, i64)> = diesel::sql_query(
        "SELECT shelter_id, 'begun' AS outcome, COUNT(*) AS stays FROM stays \
         WHERE status <> 'voided' GROUP BY shelter_id \
         UNION ALL \
         SELECT shelter_id, CASE WHEN end_reason = 'no-shows' THEN 'no_shows' ELSE 'ended_early' END, \
                COUNT(*) FROM stays WHERE status = 'ended' GROUP BY 1, 2",
    )
    .load::<Outcome>(conn)?
    .into_iter()
    .map(|o| (format!("stays {} {}", o.shelter_id, o.outcome), o.stays))
    .collect();
    let kept: Vec<(String, i64)> = super::summaries::stays(conn, first, last)?
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((s, o), n)| (format!("stays {s} {o}"), n))
        .collect();
    off.extend(differences(counted, kept, |(k, v)| (k.clone(), *v)));
    Ok(off)
}

/// What differs between a count and the kept figures, keyed by `key`.
fn differences<T, V: PartialEq + std::fmt::Debug>(
    counted: Vec<T>,
    kept: Vec<T>,
    key: impl Fn(&T) -> (String, V),
) -> Vec<String> {
    let kept: HashMap<String, V> = kept.iter().map(&key).collect();
    let mut seen = std::collections::HashSet::new();
    let mut off = Vec::new();
    for row in &counted {
        let (k, v) = key(row);
        if kept.get(&k) != Some(&v) {
            off.push(format!("{k}: counted {v:?}, kept {:?}", kept.get(&k)));
        }
        seen.insert(k);
    }
    for (k, v) in &kept {
        if !seen.contains(k) {
            off.push(format!("{k}: counted nothing, kept {v:?}"));
        }
    }
    off
}
