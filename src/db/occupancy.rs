//! The reads behind the occupancy index (`service::occupancy`): the
//! structure of the shelters, the bookings that hold places on a night,
//! and what changed since the index last read (`occupancy_changes`, kept
//! by triggers: migration 000019).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};

use super::DbConnection;
use super::schema::{bookings, cold_night_openings, cold_nights, place_outages, places, shelters};
use crate::ids::BookingKind;

/// How far the index has read the change log: on SQLite the last `seq`
/// (one writer at a time, so `seq` is commit order); on PostgreSQL the
/// snapshot it read in (a transaction may commit after a later `seq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    Seq(i64),
    Snapshot(String),
}

/// Shelters, places, outages and cold nights: what changes seldom.
#[derive(Debug, Default)]
pub struct StructureRows {
    /// (id, name) by name.
    pub shelters: Vec<(String, String)>,
    /// (id, label, category, shelter id) by shelter and label, in the
    /// database's own order.
    pub places: Vec<(String, String, String, String)>,
    /// (place id, first night, last night).
    pub outages: Vec<(String, NaiveDate, NaiveDate)>,
    pub cold_nights: Vec<NaiveDate>,
    /// (night, shelter id, places opened).
    pub openings: Vec<(NaiveDate, String, i32)>,
}

pub fn structure(conn: &mut DbConnection) -> QueryResult<StructureRows> {
    Ok(StructureRows {
        shelters: shelters::table
            .order(shelters::name.asc())
            .select((shelters::id, shelters::name))
            .load(conn)?,
        places: places::table
            .order((places::shelter_id.asc(), places::label.asc()))
            .select((
                places::id,
                places::label,
                places::category,
                places::shelter_id,
            ))
            .load(conn)?,
        outages: place_outages::table
            .select((
                place_outages::place_id,
                place_outages::first_night,
                place_outages::last_night,
            ))
            .load(conn)?,
        cold_nights: cold_nights::table.select(cold_nights::night).load(conn)?,
        openings: cold_night_openings::table
            .select((
                cold_night_openings::night,
                cold_night_openings::shelter_id,
                cold_night_openings::places,
            ))
            .load(conn)?,
    })
}

/// A booking flagged as holding its place, with what
/// `rules::checkin::holds` needs of it.
#[derive(Debug, Clone, Queryable)]
pub struct HeldRow {
    pub place_id: String,
    pub night: NaiveDate,
    pub kind: BookingKind,
    pub checked_in_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub no_show_end: Option<NaiveDate>,
}

/// The bookings flagged as held on `night`: a night the index reads
/// whole (the entries of a night it keeps come with the log,
/// [`changes_with_held`]).
pub fn held_on(conn: &mut DbConnection, night: NaiveDate) -> QueryResult<Vec<HeldRow>> {
    bookings::table
        .filter(bookings::night.eq(night))
        .filter(bookings::held)
        .select((
            bookings::place_id,
            bookings::night,
            bookings::kind,
            bookings::checked_in_at,
            bookings::created_at,
            bookings::no_show_end,
        ))
        .load(conn)
}

#[derive(QueryableByName)]
struct SnapshotRow {
    #[diesel(sql_type = Text)]
    snapshot: String,
}

#[derive(QueryableByName)]
struct SeqRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// Where the log stands in this transaction's snapshot: what an index
/// read whole in it has seen.
pub fn position(conn: &mut DbConnection) -> QueryResult<Position> {
    match conn {
        DbConnection::Sqlite(c) => {
            let row: SeqRow =
                diesel::sql_query("SELECT COALESCE(MAX(seq), 0) AS seq FROM occupancy_changes")
                    .get_result(c)?;
            Ok(Position::Seq(row.seq))
        }
        DbConnection::Postgres(c) => {
            let row: SnapshotRow =
                diesel::sql_query("SELECT pg_current_snapshot()::text AS snapshot")
                    .get_result(c)?;
            Ok(Position::Snapshot(row.snapshot))
        }
    }
}

/// One change: the place and night whose bookings changed, or `None`
/// when shelters, places, outages or cold nights did.
pub type Change = Option<(NaiveDate, String)>;

/// A change and a booking flagged held at its (night, place), from
/// [`changes_with_held`].
#[derive(QueryableByName)]
struct ChangeHeldRow {
    #[diesel(sql_type = Nullable<Text>)]
    snapshot: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    seq: Option<i64>,
    #[diesel(sql_type = Nullable<Date>)]
    night: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    place_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<BookingKind>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    checked_in_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    created_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Date>)]
    no_show_end: Option<NaiveDate>,
}

/// What changed since the index last read, with what holds there now.
pub struct Changed {
    /// Where the reading brings the index.
    pub position: Position,
    /// Each (night, place) changed once, `None` for the structure.
    pub changes: Vec<Change>,
    /// The highest `seq` read.
    pub highest: Option<i64>,
    /// The bookings flagged held at the changed (night, place) entries.
    pub held: Vec<HeldRow>,
}

/// What changed since `since` and [`held_on`] of every entry it names, in
/// one statement (one round trip, and a snapshot of its own): what brings
/// an index up to date with the nights it keeps.
///
/// The statement is prepared once, so PostgreSQL may plan it once for any
/// snapshot; the bookings are read per entry through their (place, night)
/// index, fenced by `OFFSET 0`, because a plan made once may otherwise
/// join the entries to every held booking (it did, under load, when the
/// log was new and its statistics said it was empty).
pub fn changes_with_held(conn: &mut DbConnection, since: &Position) -> QueryResult<Changed> {
    let rows: Vec<ChangeHeldRow> = match (since, &mut *conn) {
        (Position::Seq(after), DbConnection::Sqlite(c)) => super::prepared::prepared(
            "WITH c AS (SELECT MAX(seq) AS seq, night, place_id FROM occupancy_changes \
             WHERE seq > ? GROUP BY night, place_id) \
             SELECT NULL AS snapshot, c.seq, c.night, c.place_id, b.kind, b.checked_in_at, \
             b.created_at, b.no_show_end FROM c LEFT JOIN bookings b \
             ON b.place_id = c.place_id AND b.night = c.night AND b.held",
        )
        .bind::<BigInt, _>(*after)
        .load(c)?,
        (Position::Snapshot(before), DbConnection::Postgres(c)) => super::prepared::prepared(
            "WITH c AS (SELECT MAX(seq) AS seq, night, place_id FROM occupancy_changes \
             WHERE xid >= pg_snapshot_xmin(CAST(? AS pg_snapshot)) \
             AND NOT pg_visible_in_snapshot(xid, CAST(? AS pg_snapshot)) \
             GROUP BY night, place_id) \
             SELECT s.snapshot, c.seq, c.night, c.place_id, b.kind, b.checked_in_at, \
             b.created_at, b.no_show_end \
             FROM (SELECT pg_current_snapshot()::text AS snapshot) s \
             LEFT JOIN c ON true LEFT JOIN LATERAL (SELECT kind, checked_in_at, created_at, \
             no_show_end FROM bookings WHERE place_id = c.place_id AND night = c.night AND held \
             OFFSET 0) b ON true",
        )
        .bind::<Text, _>(before.as_str())
        .bind::<Text, _>(before.as_str())
        .load(c)?,
        // A position of the other backend: read everything again.
        _ => {
            return Ok(Changed {
                position: since.clone(),
                changes: vec![None],
                highest: None,
                held: Vec::new(),
            });
        }
    };
    let position = match since {
        Position::Seq(after) => {
            Position::Seq(rows.iter().filter_map(|r| r.seq).fold(*after, i64::max))
        }
        Position::Snapshot(before) => Position::Snapshot(
            rows.first()
                .and_then(|r| r.snapshot.clone())
                .unwrap_or_else(|| before.clone()),
        ),
    };
    let highest = rows.iter().filter_map(|r| r.seq).max();
    let mut changes = Vec::new();
    let mut held = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in rows {
        let Some(seq) = r.seq else { continue };
        if seen.insert(seq) {
            changes.push(r.night.zip(r.place_id.clone()));
        }
        if let (Some(night), Some(place_id), Some(kind), Some(created_at)) =
            (r.night, r.place_id, r.kind, r.created_at)
        {
            held.push(HeldRow {
                place_id,
                night,
                kind,
                checked_in_at: r.checked_in_at,
                created_at,
                no_show_end: r.no_show_end,
            });
        }
    }
    Ok(Changed {
        position,
        changes,
        highest,
        held,
    })
}

/// Rows deleted by one statement of [`forget_up_to`]: each is a
/// transaction of its own, so the writers never wait long for the turn.
pub const FORGET_AT_ONCE: i64 = 10_000;

/// Deletes at most [`FORGET_AT_ONCE`] rows of the log up to `seq` (rows
/// every instance has read long ago), the oldest first; returns how many.
pub fn forget_up_to(conn: &mut DbConnection, seq: i64) -> QueryResult<usize> {
    match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "DELETE FROM occupancy_changes WHERE seq IN \
             (SELECT seq FROM occupancy_changes WHERE seq <= ? ORDER BY seq LIMIT ?)",
        )
        .bind::<BigInt, _>(seq)
        .bind::<BigInt, _>(FORGET_AT_ONCE)
        .execute(c),
        DbConnection::Postgres(c) => diesel::sql_query(
            "DELETE FROM occupancy_changes WHERE seq IN \
             (SELECT seq FROM occupancy_changes WHERE seq <= $1 ORDER BY seq LIMIT $2)",
        )
        .bind::<BigInt, _>(seq)
        .bind::<BigInt, _>(FORGET_AT_ONCE)
        .execute(c),
    }
}

/// Makes every instance read the whole index again: after a bulk load
/// written with the triggers off.
pub fn announce_rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::sql_query("INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL)")
        .execute(conn)?;
    Ok(())
}
