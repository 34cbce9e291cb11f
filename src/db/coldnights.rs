//! Cold nights, their overflow openings, and single-night placements.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::places::PlaceRow;
use super::schema::{
    bookings, cold_night_openings, cold_nights, guests, placements, places, shelters,
};
use crate::ids::{PlaceId, ShelterId};
use crate::rules::kinds::PlaceCategory;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = cold_nights)]
pub struct ColdNightRow {
    pub night: NaiveDate,
    pub reason: String,
    pub forecast_min_c: Option<f64>,
    pub declared_at: NaiveDateTime,
    pub declared_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cold_night_openings)]
pub struct OpeningRow {
    pub night: NaiveDate,
    pub shelter_id: String,
    pub places: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = placements)]
pub struct PlacementRow {
    pub id: String,
    pub booking_id: String,
    pub guest_id: String,
    pub kind: String,
    pub night: NaiveDate,
    pub place_id: String,
    pub shelter_id: String,
    pub reason: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

pub fn get(conn: &mut DbConnection, night: NaiveDate) -> QueryResult<Option<ColdNightRow>> {
    cold_nights::table
        .find(night)
        .select(ColdNightRow::as_select())
        .first(conn)
        .optional()
}

pub fn openings(conn: &mut DbConnection, night: NaiveDate) -> QueryResult<Vec<OpeningRow>> {
    cold_night_openings::table
        .filter(cold_night_openings::night.eq(night))
        .order(cold_night_openings::shelter_id.asc())
        .select(OpeningRow::as_select())
        .load(conn)
}

pub fn list(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ColdNightRow>> {
    cold_nights::table
        .filter(cold_nights::night.between(from, to))
        .order(cold_nights::night.asc())
        .select(ColdNightRow::as_select())
        .load(conn)
}

pub fn openings_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<OpeningRow>> {
    cold_night_openings::table
        .filter(cold_night_openings::night.between(from, to))
        .order((
            cold_night_openings::night.asc(),
            cold_night_openings::shelter_id.asc(),
        ))
        .select(OpeningRow::as_select())
        .load(conn)
}

/// Writes the declaration and its openings, replacing earlier ones.
pub fn save(conn: &mut DbConnection, row: &ColdNightRow, open: &[OpeningRow]) -> QueryResult<()> {
    diesel::delete(cold_night_openings::table.filter(cold_night_openings::night.eq(row.night)))
        .execute(conn)?;
    if get(conn, row.night)?.is_some() {
        diesel::update(cold_nights::table.find(row.night))
            .set((
                cold_nights::reason.eq(&row.reason),
                cold_nights::forecast_min_c.eq(row.forecast_min_c),
                cold_nights::declared_at.eq(row.declared_at),
                cold_nights::declared_by.eq(&row.declared_by),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(cold_nights::table)
            .values(row)
            .execute(conn)?;
    }
    for o in open {
        diesel::insert_into(cold_night_openings::table)
            .values(o)
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete(conn: &mut DbConnection, night: NaiveDate) -> QueryResult<usize> {
    diesel::delete(cold_night_openings::table.filter(cold_night_openings::night.eq(night)))
        .execute(conn)?;
    diesel::delete(cold_nights::table.find(night)).execute(conn)
}

/// The shelter's overflow places in the order they are opened.
pub fn overflow_places(conn: &mut DbConnection, shelter_id: &str) -> QueryResult<Vec<PlaceRow>> {
    places::table
        .filter(places::shelter_id.eq(shelter_id))
        .filter(places::category.eq(PlaceCategory::Overflow.as_str()))
        .order(places::label.asc())
        .select(PlaceRow::as_select())
        .load(conn)
}

/// Makes sure the shelter has at least `count` overflow places, adding
/// mattresses `X01`, `X02`, … as needed. Returns them in opening order.
pub fn ensure_overflow_places(
    conn: &mut DbConnection,
    shelter_id: &str,
    count: usize,
    now: NaiveDateTime,
) -> QueryResult<Vec<PlaceRow>> {
    let mut existing = overflow_places(conn, shelter_id)?;
    let mut n = 1;
    while existing.len() < count {
        let label = format!("X{n:02}");
        n += 1;
        let taken: i64 = places::table
            .filter(places::shelter_id.eq(shelter_id))
            .filter(places::label.eq(&label))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            continue;
        }
        let row = PlaceRow {
            id: PlaceId::new(),
            shelter_id: ShelterId::stored(shelter_id.to_owned()),
            label,
            category: PlaceCategory::Overflow.as_str().to_owned(),
            created_at: now,
        };
        super::places::insert_places(conn, std::slice::from_ref(&row))?;
        existing = overflow_places(conn, shelter_id)?;
    }
    Ok(existing)
}

/// The ids of the overflow places open on `night`.
pub fn open_overflow(conn: &mut DbConnection, night: NaiveDate) -> QueryResult<Vec<String>> {
    let mut ids = Vec::new();
    for o in openings(conn, night)? {
        let count = usize::try_from(o.places).unwrap_or(0);
        ids.extend(
            overflow_places(conn, &o.shelter_id)?
                .into_iter()
                .take(count)
                .map(|p| p.id.into()),
        );
    }
    Ok(ids)
}

/// The overflow places held by someone on `night`.
pub fn held_overflow(conn: &mut DbConnection, night: NaiveDate) -> QueryResult<Vec<String>> {
    bookings::table
        .inner_join(places::table)
        .filter(bookings::night.eq(night))
        .filter(bookings::held)
        .filter(places::category.eq(PlaceCategory::Overflow.as_str()))
        .select(bookings::place_id)
        .load(conn)
}

pub fn insert_placement(conn: &mut DbConnection, row: &PlacementRow) -> QueryResult<()> {
    diesel::insert_into(placements::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Every shelter's id and name, by name.
pub fn shelter_names(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    shelters::table
        .order(shelters::name.asc())
        .select((shelters::id, shelters::name))
        .load(conn)
}

/// The single-night placements of `night` (at `shelter_id` only, when
/// given), each with its place's label and its guest's name.
pub fn placements_of_night(
    conn: &mut DbConnection,
    night: NaiveDate,
    shelter_id: Option<&str>,
) -> QueryResult<Vec<(PlacementRow, String, String, String)>> {
    let mut q = placements::table
        .inner_join(places::table.on(places::id.eq(placements::place_id)))
        .inner_join(guests::table.on(guests::id.eq(placements::guest_id)))
        .filter(placements::night.eq(night))
        .select((
            PlacementRow::as_select(),
            places::label,
            guests::given_name,
            guests::family_name,
        ))
        .into_boxed();
    if let Some(s) = shelter_id {
        q = q.filter(placements::shelter_id.eq(s.to_owned()));
    }
    q.load(conn)
}
