//! Free places counted without listing them: what a screen asks most of
//! the night, in a handful of small reads whatever the size of the system.
//!
//! `place_counts` is kept by triggers (migration 000008) in the
//! transaction of every write to places; `held_counts` is folded from the
//! bookings' log, with what is still in the log added (`db::summaries`). What they do
//! not know is read directly, and is small: places out of service tonight,
//! overflow places opened tonight, and tonight's reservations made after
//! the no-show cutoff (which do not lapse). The list query
//! (`stays::free_places`) stays the definition; tests check that both
//! agree after every kind of act.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DbConnection;
use super::coldnights;
use super::schema::{bookings, place_counts, place_outages, places};
use super::stays::{HoldClock, holding, released_by_no_shows};
use crate::rules::checkin::Now;
use crate::rules::kinds::PlaceCategory;

/// Free places per (shelter id, category) on one night; a key that is
/// missing has none free.
pub type FreeByShelter = HashMap<(String, String), i64>;

const STANDING: [&str; 2] = [
    PlaceCategory::Regular.as_str(),
    PlaceCategory::Women.as_str(),
];

/// Places of `ids` with their shelter and category.
fn keyed(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    places::table
        .filter(places::id.eq_any(ids))
        .select((places::id, places::shelter_id, places::category))
        .load(conn)
}

/// The places of `ids` held on `night`, one entry per booking that holds.
fn holding(
    conn: &mut DbConnection,
    ids: &[String],
    night: NaiveDate,
    now: &Now,
) -> QueryResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    bookings::table
        .filter(bookings::place_id.eq_any(ids))
        .filter(bookings::night.eq(night))
        .filter(holding!(HoldClock::of(now)))
        .select(bookings::place_id)
        .load(conn)
}

/// The free places of `night` per shelter and category, counted: in
/// service, not held (`rules::checkin::holds`: tonight's lapsed
/// reservations and nights released by no-shows do not hold), overflow
/// places only where opened. `shelter` narrows to one shelter.
pub fn free_counts(
    conn: &mut DbConnection,
    night: NaiveDate,
    now: &Now,
    shelter: Option<&str>,
) -> QueryResult<FreeByShelter> {
    let clock = HoldClock::of(now);
    let lapsed = night == clock.tonight && now.instant >= now.cutoff;
    let mine = |s: &str| shelter.is_none_or(|only| only == s);

    // Places in service: all regular and women's places ...
    let mut capacity = place_counts::table
        .filter(place_counts::category.eq_any(STANDING))
        .select((
            place_counts::shelter_id,
            place_counts::category,
            place_counts::places,
        ))
        .into_boxed();
    if let Some(s) = shelter {
        capacity = capacity.filter(place_counts::shelter_id.eq(s.to_owned()));
    }
    let mut free: FreeByShelter = HashMap::new();
    for (s, c, n) in capacity.load::<(String, String, i32)>(conn)? {
        free.insert((s, c), i64::from(n));
    }
    // ... but those out of service tonight ...
    let out: Vec<String> = place_outages::table
        .filter(place_outages::first_night.le(night))
        .filter(place_outages::last_night.ge(night))
        .select(place_outages::place_id)
        .distinct()
        .load(conn)?;
    let out_set: HashSet<&String> = out.iter().collect();
    let out_keys: HashMap<String, (String, String)> = keyed(conn, &out)?
        .into_iter()
        .filter(|(_, s, c)| mine(s) && c != PlaceCategory::Overflow.as_str())
        .map(|(id, s, c)| (id, (s, c)))
        .collect();
    for key in out_keys.values() {
        *free.entry(key.clone()).or_default() -= 1;
    }
    // ... and the overflow places opened tonight.
    let opened: Vec<String> = coldnights::open_overflow(conn, night)?
        .into_iter()
        .filter(|id| !out_set.contains(id))
        .collect();
    let opened_keys = keyed(conn, &opened)?;
    for (_, s, c) in &opened_keys {
        if mine(s) {
            *free.entry((s.clone(), c.clone())).or_default() += 1;
        }
    }
    let place_key: HashMap<String, (String, String)> = opened_keys
        .into_iter()
        .map(|(id, s, c)| (id, (s, c)))
        .collect();
    for place in holding(conn, &opened, night, now)? {
        if let Some(key) = place_key.get(&place).filter(|(s, _)| mine(s)) {
            *free.entry(key.clone()).or_default() -= 1;
        }
    }

    // Held regular and women's places, from the kept counts ...
    for ((_, s, c), held) in super::summaries::held(conn, Some(night), shelter)? {
        if !STANDING.contains(&c.as_str()) {
            continue;
        }
        // After tonight's cutoff, unconfirmed reservations no longer hold.
        let lapsed = if lapsed { held.unconfirmed } else { 0 };
        *free.entry((s, c)).or_default() -= held.held - lapsed;
    }
    // ... but a reservation made after the cutoff still holds ...
    if lapsed {
        let mut late = bookings::table
            .inner_join(places::table)
            .filter(bookings::night.eq(night))
            .filter(bookings::held)
            .filter(bookings::checked_in_at.is_null())
            .filter(bookings::created_at.ge(clock.lapsed_before))
            .filter(bookings::kind.eq("stay"))
            .filter(places::category.eq_any(STANDING))
            .select((bookings::shelter_id, places::category))
            .into_boxed();
        if let Some(s) = shelter {
            late = late.filter(bookings::shelter_id.eq(s.to_owned()));
        }
        for key in late.load::<(String, String)>(conn)? {
            *free.entry(key).or_default() -= 1;
        }
    }
    // ... nor does a night that its stay's no-shows have released ...
    let mut ended = bookings::table
        .inner_join(places::table)
        .filter(bookings::night.eq(night))
        .filter(released_by_no_shows!(clock))
        .filter(places::category.eq_any(STANDING))
        .select((bookings::shelter_id, places::category))
        .into_boxed();
    if let Some(s) = shelter {
        ended = ended.filter(bookings::shelter_id.eq(s.to_owned()));
    }
    for key in ended.load::<(String, String)>(conn)? {
        *free.entry(key).or_default() += 1;
    }
    // ... and a place out of service was not free to begin with.
    for place in holding(conn, &out, night, now)? {
        if let Some(key) = out_keys.get(&place) {
            *free.entry(key.clone()).or_default() += 1;
        }
    }
    for n in free.values_mut() {
        // Never below zero, whatever a damaged count says.
        *n = (*n).max(0);
    }
    Ok(free)
}

/// Counts every place anew, and makes every occupancy index read it all
/// again: after a bulk load written with the triggers switched off (the
/// held counts are rebuilt with the other summaries,
/// `db::summaries::rebuild`).
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    for statement in [
        "DELETE FROM place_counts",
        "INSERT INTO place_counts (shelter_id, category, places) \
         SELECT shelter_id, category, COUNT(*) FROM places GROUP BY shelter_id, category",
    ] {
        diesel::sql_query(statement).execute(conn)?;
    }
    // The occupancy index's log missed the load as well.
    super::occupancy::announce_rebuild(conn)
}

/// The SQL of the triggers that keep counts and summaries, on SQLite (which
/// cannot switch a trigger off): dropped before a bulk load, created again
/// after.
pub fn sqlite_triggers(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    #[derive(QueryableByName)]
    struct Trigger {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    let rows: Vec<Trigger> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' \
         AND tbl_name IN ('places', 'bookings', 'stays', 'guests') ORDER BY name",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|t| (t.name, t.sql)).collect())
}
