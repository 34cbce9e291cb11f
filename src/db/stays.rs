//! Stays and the bookings (nights) they hold.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{bookings, place_outages, places, stays};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = stays, treat_none_as_default_value = false)]
pub struct StayRow {
    pub id: String,
    pub guest_id: String,
    pub shelter_id: String,
    pub category: String,
    pub status: String,
    pub first_night: NaiveDate,
    pub nights: i32,
    pub quarantine_nights: i32,
    pub no_show_limit: i32,
    pub end_reason: Option<String>,
    pub ended_at: Option<NaiveDateTime>,
    pub void_reason: Option<String>,
    pub voided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = bookings, treat_none_as_default_value = false)]
pub struct BookingRow {
    pub id: String,
    pub guest_id: String,
    pub place_id: String,
    pub shelter_id: String,
    pub night: NaiveDate,
    pub kind: String,
    pub stay_id: Option<String>,
    pub released: bool,
    pub held: bool,
    pub checked_in_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A place that may be offered: id, label, category, shelter.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct FreePlaceRow {
    pub id: String,
    pub label: String,
    pub category: String,
    pub shelter_id: String,
}

/// Tonight's lapse: reservations of stays for `night` made before `cutoff`
/// and not checked in no longer hold their place (RULES.md §4). `None`
/// before the cutoff, and for any night but tonight.
#[derive(Debug, Clone, Copy)]
pub struct Lapse {
    pub night: NaiveDate,
    pub cutoff: NaiveDateTime,
}

pub fn insert_stay(
    conn: &mut DbConnection,
    stay: &StayRow,
    nights: &[BookingRow],
) -> QueryResult<()> {
    diesel::insert_into(stays::table)
        .values(stay)
        .execute(conn)?;
    // Multi-row inserts exist per backend only.
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(bookings::table)
            .values(nights)
            .execute(c),
        DbConnection::Postgres(c) => diesel::insert_into(bookings::table)
            .values(nights)
            .execute(c),
    }?;
    Ok(())
}

pub fn insert_booking(conn: &mut DbConnection, booking: &BookingRow) -> QueryResult<()> {
    diesel::insert_into(bookings::table)
        .values(booking)
        .execute(conn)
        .map(drop)
}

pub fn get_stay(conn: &mut DbConnection, id: &str) -> QueryResult<Option<StayRow>> {
    if !crate::domain::is_id(id) {
        return Ok(None);
    }
    stays::table
        .find(id)
        .select(StayRow::as_select())
        .first(conn)
        .optional()
}

pub fn stay_nights(conn: &mut DbConnection, stay_id: &str) -> QueryResult<Vec<BookingRow>> {
    bookings::table
        .filter(bookings::stay_id.eq(stay_id))
        .order(bookings::night.asc())
        .select(BookingRow::as_select())
        .load(conn)
}

/// The guest's latest stay that is not voided: the one that decides
/// whether a new stay may start (RULES.md §3).
pub fn latest_stay(conn: &mut DbConnection, guest_id: &str) -> QueryResult<Option<StayRow>> {
    stays::table
        .filter(stays::guest_id.eq(guest_id))
        .filter(stays::status.ne("voided"))
        .order(stays::first_night.desc())
        .select(StayRow::as_select())
        .first(conn)
        .optional()
}

/// Takes the guest's row lock for the rest of the transaction, so that two
/// desks deciding for the same guest queue. On SQLite the write
/// transaction is `IMMEDIATE`, which already serializes writers.
pub fn lock_guest(conn: &mut DbConnection, guest_id: &str) -> QueryResult<()> {
    use super::schema::guests;
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(c) => guests::table
            .filter(guests::id.eq(guest_id))
            .select(guests::id)
            .for_update()
            .load::<String>(c)
            .map(drop),
    }
}

/// Makes intakes at one shelter take turns on PostgreSQL (SQLite has one
/// writer anyway): each then chooses among the places the one before left
/// free, instead of many desks choosing the same place, all but one
/// failing on the unique index and trying again. `FOR NO KEY UPDATE`, so
/// rows that merely refer to the shelter are not held up.
pub fn lock_shelter(conn: &mut DbConnection, shelter_id: &str) -> QueryResult<()> {
    use super::schema::shelters;
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(c) => shelters::table
            .filter(shelters::id.eq(shelter_id))
            .select(shelters::id)
            .for_no_key_update()
            .load::<String>(c)
            .map(drop),
    }
}

/// The guest's nights held between `first` and `last`, of any kind.
pub fn guest_held_nights(
    conn: &mut DbConnection,
    guest_id: &str,
    first: NaiveDate,
    last: NaiveDate,
    lapse: Option<Lapse>,
) -> QueryResult<Vec<BookingRow>> {
    let rows: Vec<BookingRow> = bookings::table
        .filter(bookings::guest_id.eq(guest_id))
        .filter(bookings::held)
        .filter(bookings::night.between(first, last))
        .select(BookingRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().filter(|b| !is_lapsed(b, lapse)).collect())
}

pub fn is_lapsed(b: &BookingRow, lapse: Option<Lapse>) -> bool {
    lapse.is_some_and(|l| {
        b.kind == "stay"
            && b.night == l.night
            && b.checked_in_at.is_none()
            && b.created_at < l.cutoff
    })
}

/// Releases lapsed reservations of tonight that stand in the way of a new
/// booking of `place_id` or of `guest_id`: the one moment a lapse is
/// written down (RULES.md §4).
pub fn release_lapsed(
    conn: &mut DbConnection,
    lapse: Option<Lapse>,
    place_id: Option<&str>,
    guest_id: Option<&str>,
) -> QueryResult<usize> {
    let Some(l) = lapse else {
        return Ok(0);
    };
    let base = bookings::table
        .filter(bookings::night.eq(l.night))
        .filter(bookings::held)
        .filter(bookings::kind.eq("stay"))
        .filter(bookings::checked_in_at.is_null())
        .filter(bookings::created_at.lt(l.cutoff));
    let mut n = 0;
    if let Some(p) = place_id {
        n += diesel::update(base.filter(bookings::place_id.eq(p)))
            .set(bookings::held.eq(false))
            .execute(conn)?;
    }
    if let Some(g) = guest_id {
        n += diesel::update(base.filter(bookings::guest_id.eq(g)))
            .set(bookings::held.eq(false))
            .execute(conn)?;
    }
    Ok(n)
}

/// Places of the given categories that are free on every night from
/// `first` to `last`: in service, and not held by anyone (tonight's lapsed
/// reservations do not hold). `shelter_id` narrows to one shelter.
pub fn free_places(
    conn: &mut DbConnection,
    shelter_id: Option<&str>,
    categories: &[&str],
    first: NaiveDate,
    last: NaiveDate,
    lapse: Option<Lapse>,
) -> QueryResult<Vec<FreePlaceRow>> {
    let mut query = places::table
        .filter(
            places::category.eq_any(
                categories
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect::<Vec<_>>(),
            ),
        )
        .filter(not(exists(
            place_outages::table
                .filter(place_outages::place_id.eq(places::id))
                .filter(place_outages::first_night.le(last))
                .filter(place_outages::last_night.ge(first)),
        )))
        .order((places::shelter_id.asc(), places::label.asc()))
        .select((
            places::id,
            places::label,
            places::category,
            places::shelter_id,
        ))
        .into_boxed();
    if let Some(s) = shelter_id {
        query = query.filter(places::shelter_id.eq(s.to_owned()));
    }
    let held = bookings::table
        .filter(bookings::place_id.eq(places::id))
        .filter(bookings::held)
        .filter(bookings::night.between(first, last));
    query = match lapse {
        // A lapsed reservation of tonight does not hold.
        Some(l) => query.filter(not(exists(
            held.filter(
                bookings::night
                    .ne(l.night)
                    .or(bookings::kind.ne("stay"))
                    .or(bookings::checked_in_at.is_not_null())
                    .or(bookings::created_at.ge(l.cutoff)),
            ),
        ))),
        None => query.filter(not(exists(held))),
    };
    query.load(conn)
}

pub fn set_status(
    conn: &mut DbConnection,
    stay_id: &str,
    status: &str,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let target = stays::table.filter(stays::id.eq(stay_id));
    if status == "voided" {
        diesel::update(target)
            .set((
                stays::status.eq(status),
                stays::void_reason.eq(reason),
                stays::voided_at.eq(at),
            ))
            .execute(conn)?;
    } else {
        diesel::update(target)
            .set((
                stays::status.eq(status),
                stays::end_reason.eq(reason),
                stays::ended_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Releases the stay's nights from `from` on (all of them with `None`);
/// a checked-in night is kept unless `including_checked_in`.
pub fn release_nights(
    conn: &mut DbConnection,
    stay_id: &str,
    from: Option<NaiveDate>,
    including_checked_in: bool,
) -> QueryResult<usize> {
    let mut q = diesel::update(bookings::table)
        .filter(bookings::stay_id.eq(stay_id))
        .into_boxed();
    if let Some(f) = from {
        q = q.filter(bookings::night.ge(f));
    }
    if !including_checked_in {
        q = q.filter(bookings::checked_in_at.is_null());
    }
    q.set((bookings::released.eq(true), bookings::held.eq(false)))
        .execute(conn)
}

pub fn check_in(conn: &mut DbConnection, booking_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(bookings::table.filter(bookings::id.eq(booking_id)))
        .set((bookings::checked_in_at.eq(at), bookings::held.eq(true)))
        .execute(conn)
        .map(drop)
}

/// Moves the stay's held nights from `from` on to another place. The
/// moved nights count as reserved `at` (a move after the cutoff holds the
/// new place that night, like any reservation made after the cutoff).
pub fn move_nights(
    conn: &mut DbConnection,
    stay_id: &str,
    from: NaiveDate,
    place_id: &str,
    shelter_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        bookings::table
            .filter(bookings::stay_id.eq(stay_id))
            .filter(bookings::night.ge(from))
            .filter(bookings::released.eq(false)),
    )
    .set((
        bookings::place_id.eq(place_id),
        bookings::shelter_id.eq(shelter_id),
        bookings::held.eq(true),
        bookings::created_at.eq(at),
    ))
    .execute(conn)?;
    diesel::update(stays::table.filter(stays::id.eq(stay_id)))
        .set(stays::shelter_id.eq(shelter_id))
        .execute(conn)
}

/// The guest's stays that are still active and hold nights from `from`
/// on at `shelter_id` (any shelter with `None`).
pub fn active_stays_at(
    conn: &mut DbConnection,
    guest_id: &str,
    shelter_id: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<String>> {
    let mut q = bookings::table
        .inner_join(stays::table)
        .filter(bookings::guest_id.eq(guest_id))
        .filter(bookings::held)
        .filter(bookings::night.between(from, to))
        .filter(stays::status.eq("active"))
        .select(stays::id)
        .distinct()
        .into_boxed();
    if let Some(s) = shelter_id {
        q = q.filter(bookings::shelter_id.eq(s.to_owned()));
    }
    q.load(conn)
}
