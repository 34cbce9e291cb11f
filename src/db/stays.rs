//! Stays and the bookings (nights) they hold.

use crate::ids::{BookingKind, GuestId, PlaceId, ShelterId, StayId, StayStatus};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::DbConnection;
use super::prepared::prepared;
use super::schema::{bookings, guests, place_outages, places, stays};
use crate::rules::Night;
use crate::rules::checkin::{self, Hold, Now};
use diesel::sql_types::{Bool, Date, Nullable, Text, Timestamp};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = stays, treat_none_as_default_value = false)]
pub struct StayRow {
    pub id: StayId,
    pub guest_id: GuestId,
    pub shelter_id: ShelterId,
    pub category: String,
    pub status: StayStatus,
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
    pub guest_id: GuestId,
    pub place_id: PlaceId,
    pub shelter_id: ShelterId,
    pub night: NaiveDate,
    pub kind: BookingKind,
    pub stay_id: Option<StayId>,
    pub released: bool,
    pub held: bool,
    pub checked_in_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// The night from which the stay is ended by no-shows unless a check-in
    /// comes first (`rules::checkin::no_show_end`); kept alike on every
    /// night of the stay, `None` for placements.
    pub no_show_end: Option<NaiveDate>,
}

impl BookingRow {
    /// The booking as the rule of what holds a place sees it.
    pub fn hold(&self) -> Hold {
        Hold {
            night: Night::new(self.night),
            of_stay: self.kind == BookingKind::Stay,
            held: self.held,
            checked_in: self.checked_in_at.is_some(),
            created_at: self.created_at.and_utc(),
            no_show_end: self.no_show_end.map(Night::new),
        }
    }

    /// Whether it holds its place on its night, now.
    pub fn holds(&self, now: &Now) -> bool {
        checkin::holds(&self.hold(), now)
    }
}

/// A place that may be offered: id, label, category, shelter.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct FreePlaceRow {
    pub id: PlaceId,
    pub label: String,
    pub category: String,
    pub shelter_id: ShelterId,
}

/// The clock as the queries of what holds a place need it: tonight, and
/// the instant before which tonight's unconfirmed reservations were made
/// if they have lapsed (the cutoff once it has passed, otherwise an
/// instant before any booking, so that none has).
#[derive(Debug, Clone, Copy)]
pub struct HoldClock {
    pub tonight: NaiveDate,
    pub lapsed_before: NaiveDateTime,
}

impl HoldClock {
    pub fn of(now: &Now) -> Self {
        Self {
            tonight: now.night.date(),
            lapsed_before: if now.instant >= now.cutoff {
                now.cutoff.naive_utc()
            } else {
                // Before every booking: none has lapsed. (Both backends
                // can store it, unlike `NaiveDateTime::MIN`.)
                chrono::DateTime::UNIX_EPOCH.naive_utc()
            },
        }
    }
}

/// `rules::checkin::holds` in SQL, over the `bookings` table: held, not
/// tonight's lapsed reservation, not a night released by its stay's
/// no-shows. A property test holds it to the rule on both backends.
macro_rules! holding {
    ($clock:expr) => {{
        let clock: HoldClock = $clock;
        bookings::held
            .and(diesel::dsl::not(
                bookings::kind
                    .eq($crate::ids::BookingKind::Stay)
                    .and(bookings::night.eq(clock.tonight))
                    .and(bookings::checked_in_at.is_null())
                    .and(bookings::created_at.lt(clock.lapsed_before)),
            ))
            .and(
                bookings::no_show_end
                    .is_null()
                    .or(bookings::no_show_end.gt(clock.tonight))
                    .or(bookings::no_show_end.gt(bookings::night.nullable()))
                    .or(bookings::kind.ne($crate::ids::BookingKind::Stay)),
            )
    }};
}

/// The other side of [`holding!`]: held by its flag but released by its
/// stay's no-shows, and not already lapsed tonight.
macro_rules! released_by_no_shows {
    ($clock:expr) => {{
        let clock: HoldClock = $clock;
        bookings::held
            .and(bookings::kind.eq($crate::ids::BookingKind::Stay))
            .and(bookings::no_show_end.le(clock.tonight))
            .and(bookings::no_show_end.le(bookings::night.nullable()))
            .and(diesel::dsl::not(
                bookings::night
                    .eq(clock.tonight)
                    .and(bookings::checked_in_at.is_null())
                    .and(bookings::created_at.lt(clock.lapsed_before)),
            ))
    }};
}
pub(crate) use {holding, released_by_no_shows};

pub fn insert_stay(
    conn: &mut DbConnection,
    stay: &StayRow,
    nights: &[BookingRow],
) -> QueryResult<()> {
    diesel::insert_into(stays::table)
        .values(stay)
        .execute(conn)?;
    match conn {
        // One row at a time: the single-row insert is prepared once per
        // connection with its triggers, where a multi-row insert of a
        // `Vec` is prepared (and its triggers compiled) at every call.
        // Without a round trip, SQLite pays nothing for the loop.
        DbConnection::Sqlite(c) => {
            for night in nights {
                diesel::insert_into(bookings::table)
                    .values(night)
                    .execute(c)?;
            }
        }
        // One statement, one round trip; the lengths a stay has by the
        // default rules as arrays, which diesel keeps prepared.
        DbConnection::Postgres(c) => {
            if let Ok(five) = <&[BookingRow; 5]>::try_from(nights) {
                diesel::insert_into(bookings::table)
                    .values(five)
                    .execute(c)?;
            } else if let Ok(seven) = <&[BookingRow; 7]>::try_from(nights) {
                diesel::insert_into(bookings::table)
                    .values(seven)
                    .execute(c)?;
            } else {
                diesel::insert_into(bookings::table)
                    .values(nights)
                    .execute(c)?;
            }
        }
    }
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

/// The stays that are not voided and have a night at `shelter_id` on
/// `night`, with their guests' names, for the night's list at a desk
/// (`service::stays::night_list` decides which of them the night holds).
pub fn stays_on_night_at(
    conn: &mut DbConnection,
    shelter_id: &str,
    night: NaiveDate,
) -> QueryResult<Vec<(StayRow, String, String)>> {
    bookings::table
        .inner_join(stays::table)
        .inner_join(guests::table.on(guests::id.eq(stays::guest_id)))
        .filter(bookings::shelter_id.eq(shelter_id))
        .filter(bookings::night.eq(night))
        .filter(stays::status.ne(StayStatus::Voided.as_str()))
        .select((
            StayRow::as_select(),
            guests::given_name,
            guests::family_name,
        ))
        .load(conn)
}

/// Every night of each of `stay_ids`, by stay and night.
pub fn nights_of_stays(
    conn: &mut DbConnection,
    stay_ids: &[String],
) -> QueryResult<Vec<BookingRow>> {
    if stay_ids.is_empty() {
        return Ok(Vec::new());
    }
    bookings::table
        .filter(bookings::stay_id.eq_any(stay_ids))
        .order((bookings::stay_id.asc(), bookings::night.asc()))
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

/// The guest, read and (on PostgreSQL) locked in one statement: what
/// [`lock_guest`] takes, for an act that needs the row anyway.
pub fn locked_guest(
    conn: &mut DbConnection,
    guest_id: &str,
) -> QueryResult<Option<super::guests::GuestRow>> {
    match conn {
        DbConnection::Postgres(c) if crate::domain::is_id(guest_id) => guests::table
            .find(guest_id)
            .select(super::guests::GuestRow::as_select())
            .for_update()
            .first(c)
            .optional(),
        _ => super::guests::get(conn, guest_id),
    }
}

/// The first key of the advisory locks that are a shelter's turn (the
/// second is the hash of its id; two shelters that share a hash only take
/// turns they need not).
const SHELTER_TURN: i32 = 1;

/// The intake's share of [`lock_shelter`], and whether the shelter is
/// there, in one statement on PostgreSQL. Intakes at one shelter hold it
/// together and keep out of each other's way by the place each locks
/// ([`first_unclaimed_free_place`]); the acts that take [`lock_shelter`]
/// wait for them all, and they for it.
pub fn share_existing_shelter(conn: &mut DbConnection, shelter_id: &str) -> QueryResult<bool> {
    use super::schema::shelters;
    if !crate::domain::is_id(shelter_id) {
        return Ok(false);
    }
    match conn {
        DbConnection::Sqlite(c) => shelters::table
            .filter(shelters::id.eq(shelter_id))
            .select(shelters::id)
            .first::<String>(c)
            .optional()
            .map(|found| found.is_some()),
        // The lock is taken for the shelter's row only (the function runs
        // for the rows the index scan returns); the rows read say whether
        // it is there.
        DbConnection::Postgres(c) => prepared(
            "SELECT s.id FROM shelters s \
             CROSS JOIN LATERAL pg_advisory_xact_lock_shared(?, hashtext(s.id)) \
             WHERE s.id = ?",
        )
        .bind::<diesel::sql_types::Integer, _>(SHELTER_TURN)
        .bind::<Text, _>(shelter_id)
        .execute(c)
        .map(|rows| rows > 0),
    }
}

/// Makes the acts that decide what is free at one shelter take turns on
/// PostgreSQL (SQLite has one writer anyway): moves, placements, taking a
/// place out of service, opening and closing overflow places, the lottery,
/// and intakes as a group (they share it, [`share_existing_shelter`]).
/// Each takes it before it reads what is free there and holds it to its
/// commit, so a check and the write it allows are never split by another
/// act's write at that shelter. An advisory lock rather than the shelter's
/// row: its waiters are served in turn, where a row shared by a stream of
/// intakes kept a coordinator's act waiting as long as they overlapped
/// (ten seconds under eight desks). Taken after the guest's lock, never
/// before.
pub fn lock_shelter(conn: &mut DbConnection, shelter_id: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(c) => prepared("SELECT pg_advisory_xact_lock(?, hashtext(?))")
            .bind::<diesel::sql_types::Integer, _>(SHELTER_TURN)
            .bind::<Text, _>(shelter_id)
            .execute(c)
            .map(drop),
    }
}

/// [`lock_shelter`] for several shelters, in the order of their ids, so
/// that two acts that each take more than one never wait for each other in
/// a circle.
pub fn lock_shelters(conn: &mut DbConnection, shelter_ids: &[String]) -> QueryResult<()> {
    let mut ids: Vec<&String> = shelter_ids.iter().collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        lock_shelter(conn, id)?;
    }
    Ok(())
}

/// The guest's nights that hold a place between `first` and `last`, of
/// any kind.
pub fn guest_held_nights(
    conn: &mut DbConnection,
    guest_id: &str,
    first: NaiveDate,
    last: NaiveDate,
    now: &Now,
) -> QueryResult<Vec<BookingRow>> {
    bookings::table
        .filter(bookings::guest_id.eq(guest_id))
        .filter(bookings::night.between(first, last))
        .filter(holding!(HoldClock::of(now)))
        .select(BookingRow::as_select())
        .load(conn)
}

/// Writes down what no longer holds a place but still has the flag, where
/// it stands in the way of a new booking of `place_id` or of `guest_id`
/// between `first` and `last`: tonight's lapsed reservations (RULES.md §4)
/// are let go, and stays their no-shows have ended are returned, for the
/// caller to end. Nothing else needs writing for a question to see them
/// as free: this only clears the way for the unique indexes.
pub fn release_idle(
    conn: &mut DbConnection,
    now: &Now,
    place_id: Option<&str>,
    guest_id: Option<&str>,
    first: NaiveDate,
    last: NaiveDate,
) -> QueryResult<Vec<String>> {
    if place_id.is_none() && guest_id.is_none() {
        return Ok(Vec::new());
    }
    // One statement each for the place and the guest, each half through
    // its own index (an `OR` of the two columns had SQLite read the
    // night's unconfirmed reservations); a half not asked for looks for
    // the empty text, which no id is.
    let (place, guest) = (place_id.unwrap_or(""), guest_id.unwrap_or(""));
    let clock = HoldClock::of(now);
    if first <= clock.tonight && clock.tonight <= last {
        // The same condition as `holding!`'s lapsed reservation, prepared
        // once per connection (see `check_in`).
        prepared(
            "UPDATE bookings SET held = ? WHERE id IN (\
             SELECT id FROM bookings WHERE place_id = ? AND night = ? AND held AND kind = ? \
             AND checked_in_at IS NULL AND created_at < ? \
             UNION ALL \
             SELECT id FROM bookings WHERE guest_id = ? AND night = ? AND held AND kind = ? \
             AND checked_in_at IS NULL AND created_at < ?)",
        )
        .bind::<Bool, _>(false)
        .bind::<Text, _>(place)
        .bind::<Date, _>(clock.tonight)
        .bind::<Text, _>(BookingKind::Stay)
        .bind::<Timestamp, _>(clock.lapsed_before)
        .bind::<Text, _>(guest)
        .bind::<Date, _>(clock.tonight)
        .bind::<Text, _>(BookingKind::Stay)
        .bind::<Timestamp, _>(clock.lapsed_before)
        .execute(conn)?;
    }
    let near = diesel::alias!(bookings as near);
    let nearby = near
        .filter(near.field(bookings::held))
        .filter(near.field(bookings::night).between(first, last))
        .select(near.field(bookings::id));
    let found: Vec<Option<String>> = bookings::table
        .filter(bookings::night.between(first, last))
        .filter(released_by_no_shows!(clock))
        .filter(
            bookings::id
                .eq_any(nearby.filter(near.field(bookings::place_id).eq(place)))
                .or(bookings::id.eq_any(nearby.filter(near.field(bookings::guest_id).eq(guest)))),
        )
        .select(bookings::stay_id)
        .distinct()
        .load(conn)?;
    let mut ended: Vec<String> = found.into_iter().flatten().collect();
    ended.sort();
    ended.dedup();
    Ok(ended)
}

/// The one query of [`free_places`], [`first_free_place`] and
/// [`first_unclaimed_free_place`]: the places in service on every night
/// from `first` to `last` and held by nobody, by shelter and label.
/// Tokens after the clock end the bookings' subquery: none for the whole
/// list, `.offset(0)` to keep PostgreSQL from turning it into an anti-join
/// over every booking of those nights (an `OFFSET` fences it: each place
/// is then probed through the (place, night) index, and a first free
/// place costs the places before it, not their product with the
/// bookings).
macro_rules! free_places_of {
    ($first:expr, $last:expr, $now:expr $(, $($probe:tt)+)?) => {{
        let (first, last, now): (NaiveDate, NaiveDate, &Now) = ($first, $last, $now);
        places::table
            .filter(not(exists(
                place_outages::table
                    .filter(place_outages::place_id.eq(places::id))
                    .filter(place_outages::first_night.le(last))
                    .filter(place_outages::last_night.ge(first)),
            )))
            .filter(not(exists(
                bookings::table
                    .filter(bookings::place_id.eq(places::id))
                    .filter(bookings::night.between(first, last))
                    .filter(holding!(HoldClock::of(now)))
                    $($($probe)+)?,
            )))
            .order((places::shelter_id.asc(), places::label.asc()))
            .select((
                places::id,
                places::label,
                places::category,
                places::shelter_id,
            ))
    }};
}

/// [`free_places_of!`] boxed, narrowed to a shelter and to categories.
macro_rules! free_places_query {
    ($shelter_id:expr, $categories:expr, $first:expr, $last:expr, $now:expr $(, $($probe:tt)+)?) => {{
        let (shelter_id, categories): (Option<&str>, &[&str]) = ($shelter_id, $categories);
        let mut query = free_places_of!($first, $last, $now $(, $($probe)+)?).into_boxed();
        if let Some(s) = shelter_id {
            query = query.filter(places::shelter_id.eq(s.to_owned()));
        }
        // One category (an intake's usual question) as `=`: diesel keeps the
        // statement prepared, where an `IN` list is prepared at every call.
        query = match categories {
            [one] => query.filter(places::category.eq((*one).to_owned())),
            many => query.filter(
                places::category.eq_any(many.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()),
            ),
        };
        query
    }};
}

/// Places of the given categories that are free on every night from
/// `first` to `last`: in service, and not held by anyone (what holds is
/// `rules::checkin::holds`). `shelter_id` narrows to one shelter.
pub fn free_places(
    conn: &mut DbConnection,
    shelter_id: Option<&str>,
    categories: &[&str],
    first: NaiveDate,
    last: NaiveDate,
    now: &Now,
) -> QueryResult<Vec<FreePlaceRow>> {
    free_places_query!(shelter_id, categories, first, last, now).load(conn)
}

/// Which of a shelter's free places [`first_free_place`] looks for.
#[derive(Debug, Clone, Copy)]
pub enum Seek<'a> {
    /// The first by label.
    First,
    /// The first by label from this label on: where the occupancy index
    /// says the first free place is (`service::occupancy`), so the places
    /// before it are not read.
    From(&'a str),
    /// This place (by id), when it is free.
    Place(&'a str),
}

/// The first of [`free_places`] at a shelter by label (see [`Seek`]): what
/// an intake and a move take, read without the others (an intake at a
/// shelter of 2,000 free places read them all to take one).
pub fn first_free_place(
    conn: &mut DbConnection,
    shelter_id: &str,
    category: &str,
    seek: Seek<'_>,
    first: NaiveDate,
    last: NaiveDate,
    now: &Now,
) -> QueryResult<Option<FreePlaceRow>> {
    let mut query = free_places_query!(Some(shelter_id), &[category], first, last, now, .offset(0));
    match seek {
        Seek::First => {}
        Seek::From(label) => query = query.filter(places::label.ge(label.to_owned())),
        Seek::Place(id) => query = query.filter(places::id.eq(id.to_owned())),
    }
    query.limit(1).first(conn).optional()
}

/// What an intake finds at a shelter: see [`first_unclaimed_free_place`].
pub enum Candidate {
    /// Free, and now locked for this act to its commit.
    Free(FreePlaceRow),
    /// Free in what is committed, but another act holds it locked and may
    /// take it: [`claim_place`] waits for that act.
    TakenElsewhere(PlaceId),
    /// No place is free (from `from` on, when given).
    None,
}

/// [`first_free_place`] for an intake, among the places no other act is
/// taking, from the label `from` on when given: on PostgreSQL the place is
/// locked as it is read (`FOR NO KEY UPDATE SKIP LOCKED`), so desks at one
/// shelter each take a different place at once instead of taking turns on
/// the shelter; a place another act has locked is passed over, and named
/// only when no other is free. On SQLite (one writer) it is
/// [`first_free_place`], read once.
#[allow(clippy::too_many_arguments)]
pub fn first_unclaimed_free_place(
    conn: &mut DbConnection,
    shelter_id: &str,
    category: &str,
    from: Option<&str>,
    first: NaiveDate,
    last: NaiveDate,
    now: &Now,
) -> QueryResult<Candidate> {
    let seek = from.map_or(Seek::First, Seek::From);
    let unclaimed = match conn {
        DbConnection::Postgres(c) => {
            let query = free_places_of!(first, last, now, .offset(0))
                .filter(places::shelter_id.eq(shelter_id))
                .filter(places::category.eq(category))
                .limit(1)
                .for_no_key_update()
                .skip_locked();
            match from {
                // Two statements, each prepared once, rather than one
                // boxed (prepared at every call).
                Some(label) => query.filter(places::label.ge(label)).first(c).optional()?,
                None => query.first(c).optional()?,
            }
        }
        DbConnection::Sqlite(_) => {
            return Ok(
                match first_free_place(conn, shelter_id, category, seek, first, last, now)? {
                    Some(place) => Candidate::Free(place),
                    None => Candidate::None,
                },
            );
        }
    };
    if let Some(place) = unclaimed {
        return Ok(Candidate::Free(place));
    }
    Ok(
        match first_free_place(conn, shelter_id, category, seek, first, last, now)? {
            Some(place) => Candidate::TakenElsewhere(place.id),
            None => Candidate::None,
        },
    )
}

/// Locks one place until the commit, waiting for an act that holds it
/// (PostgreSQL; SQLite has one writer): taken before the place is read as
/// free, by an intake that named it or that waits for another desk's act
/// on it. `FOR NO KEY UPDATE`, so bookings that merely refer to the place
/// are not held up. Taken after the shelter's lock, never before.
pub fn claim_place(conn: &mut DbConnection, place_id: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(c) => places::table
            .filter(places::id.eq(place_id))
            .select(places::id)
            .for_no_key_update()
            .load::<String>(c)
            .map(drop),
    }
}

pub fn set_status(
    conn: &mut DbConnection,
    stay_id: &str,
    status: StayStatus,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let target = stays::table.filter(stays::id.eq(stay_id));
    if status == StayStatus::Voided {
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

/// Releases the nights of the stay that the rules' `Release` takes (an
/// early end, a no-show ending, a void), in one update; held to
/// `Release::releases` on random stays by `tests/api/releases.rs`.
pub fn release(
    conn: &mut DbConnection,
    stay_id: &str,
    r: &crate::rules::stay::Release,
) -> QueryResult<usize> {
    release_nights(conn, stay_id, r.from.map(Night::date), r.checked_in_too)
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

pub fn check_in(
    conn: &mut DbConnection,
    booking: &mut BookingRow,
    at: NaiveDateTime,
) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct Label {
        #[diesel(sql_type = Text)]
        label: String,
    }
    // Prepared once per connection: an update of bookings fires the kept
    // counts' triggers, whose programs SQLite compiles with the statement.
    // The place's label comes back with it, for the answer: no round
    // trip of its own.
    let written = prepared(
        "UPDATE bookings SET checked_in_at = ?, held = ? WHERE id = ? \
         RETURNING (SELECT label FROM places WHERE places.id = bookings.place_id) AS label",
    )
    .bind::<Timestamp, _>(at)
    .bind::<Bool, _>(true)
    .bind::<Text, _>(booking.id.as_str())
    .get_result::<Label>(conn)?;
    // The row as it now stands, for the caller that goes on with it.
    booking.checked_in_at = Some(at);
    booking.held = true;
    Ok(written.label)
}

/// Keeps the stay's no-show ending with each of its nights.
pub fn set_no_show_end(
    conn: &mut DbConnection,
    stay_id: &str,
    end: Option<NaiveDate>,
) -> QueryResult<()> {
    prepared("UPDATE bookings SET no_show_end = ? WHERE stay_id = ?")
        .bind::<Nullable<Date>, _>(end)
        .bind::<Text, _>(stay_id)
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
