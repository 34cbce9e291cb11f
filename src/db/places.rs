//! Organisations, shelters and their places.

use crate::ids::{PlaceId, ShelterId};
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{bookings, organizations, place_counts, place_outages, places, shelters};
use super::{DbConnection, new_id};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: String,
    pub partnership_id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shelters, treat_none_as_default_value = false)]
pub struct ShelterRow {
    pub id: ShelterId,
    pub partnership_id: String,
    pub organization_id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    /// Where the shelter is (migration 000016), when known.
    pub address: Option<String>,
    /// Its telephone number, when known.
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = places, treat_none_as_default_value = false)]
pub struct PlaceRow {
    pub id: PlaceId,
    pub shelter_id: ShelterId,
    pub label: String,
    pub category: String,
    pub created_at: NaiveDateTime,
}

/// A shelter with its organisation's name and its places counted by
/// category.
#[derive(Debug, Clone)]
pub struct ShelterSummary {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub places: HashMap<String, i64>,
}

/// The organisation of that name in the partnership, created when missing.
pub fn organization_by_name(
    conn: &mut DbConnection,
    partnership_id: &str,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<OrganizationRow> {
    if let Some(found) = organizations::table
        .filter(organizations::partnership_id.eq(partnership_id))
        .filter(organizations::name.eq(name))
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()?
    {
        return Ok(found);
    }
    let row = OrganizationRow {
        id: new_id(),
        partnership_id: partnership_id.to_owned(),
        name: name.to_owned(),
        created_at: now,
    };
    diesel::insert_into(organizations::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

pub fn insert_shelter(conn: &mut DbConnection, row: &ShelterRow) -> QueryResult<()> {
    diesel::insert_into(shelters::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn insert_places(conn: &mut DbConnection, rows: &[PlaceRow]) -> QueryResult<()> {
    // SQLite caps bound parameters per statement; 5 columns x 100 rows fits.
    for chunk in rows.chunks(100) {
        // Multi-row inserts exist per backend only.
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(places::table).values(chunk).execute(c),
            DbConnection::Postgres(c) => {
                diesel::insert_into(places::table).values(chunk).execute(c)
            }
        }?;
    }
    Ok(())
}

/// Sets the shelter's address and phone (`Some(None)` clears one, `None`
/// leaves it); the number of shelters changed.
pub fn set_contact(
    conn: &mut DbConnection,
    id: &str,
    address: Option<Option<&str>>,
    phone: Option<Option<&str>>,
) -> QueryResult<usize> {
    let target = shelters::table.filter(shelters::id.eq(id));
    let mut changed = 0;
    if let Some(a) = address {
        changed = diesel::update(target)
            .set(shelters::address.eq(a))
            .execute(conn)?;
    }
    if let Some(p) = phone {
        changed = diesel::update(target)
            .set(shelters::phone.eq(p))
            .execute(conn)?;
    }
    Ok(changed)
}

pub fn shelter_exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    if !crate::domain::is_id(id) {
        return Ok(false);
    }
    diesel::select(diesel::dsl::exists(
        shelters::table.filter(shelters::id.eq(id)),
    ))
    .get_result(conn)
}

/// Every shelter with its place counts, in two queries whatever the size.
pub fn list_shelters(conn: &mut DbConnection) -> QueryResult<Vec<ShelterSummary>> {
    summaries(conn, None)
}

pub fn shelter(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ShelterSummary>> {
    Ok(summaries(conn, Some(id))?.pop())
}

fn summaries(conn: &mut DbConnection, only: Option<&str>) -> QueryResult<Vec<ShelterSummary>> {
    let mut shelter_query = shelters::table
        .inner_join(organizations::table)
        .order(shelters::name.asc())
        .select((
            shelters::id,
            shelters::name,
            organizations::name,
            shelters::address,
            shelters::phone,
        ))
        .into_boxed();
    // Kept by triggers (migration 000008): no scan of every place.
    let mut count_query = place_counts::table
        .select((
            place_counts::shelter_id,
            place_counts::category,
            place_counts::places,
        ))
        .into_boxed();
    if let Some(id) = only {
        shelter_query = shelter_query.filter(shelters::id.eq(id));
        count_query = count_query.filter(place_counts::shelter_id.eq(id));
    }
    type Row = (String, String, String, Option<String>, Option<String>);
    let rows: Vec<Row> = shelter_query.load(conn)?;
    let counts: Vec<(String, String, i32)> = count_query.load(conn)?;
    let mut by_shelter: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for (shelter, category, n) in counts {
        by_shelter
            .entry(shelter)
            .or_default()
            .insert(category, i64::from(n));
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, organization, address, phone)| ShelterSummary {
            places: by_shelter.remove(&id).unwrap_or_default(),
            id,
            name,
            organization,
            address,
            phone,
        })
        .collect())
}

pub fn list_places(conn: &mut DbConnection, shelter_id: &str) -> QueryResult<Vec<PlaceRow>> {
    places::table
        .filter(places::shelter_id.eq(shelter_id))
        .order(places::label.asc())
        .select(PlaceRow::as_select())
        .load(conn)
}

/// The labels of the places `ids`, by id (ids of no place are left out).
pub fn labels(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<std::collections::HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    // A stay's nights are mostly on one place: then `=`, which diesel
    // keeps prepared, where an `IN` list is prepared at every call.
    let mut distinct: Vec<&String> = ids.iter().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let rows: Vec<(String, String)> = match distinct.as_slice() {
        [one] => places::table
            .filter(places::id.eq(*one))
            .select((places::id, places::label))
            .load(conn)?,
        many => places::table
            .filter(places::id.eq_any(many))
            .select((places::id, places::label))
            .load(conn)?,
    };
    Ok(rows.into_iter().collect())
}

pub fn count_shelters(conn: &mut DbConnection) -> QueryResult<i64> {
    shelters::table.count().get_result(conn)
}

pub fn place(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PlaceRow>> {
    if !crate::domain::is_id(id) {
        return Ok(None);
    }
    places::table
        .find(id)
        .select(PlaceRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = place_outages)]
pub struct OutageRow {
    pub id: String,
    pub place_id: String,
    pub first_night: chrono::NaiveDate,
    pub last_night: chrono::NaiveDate,
    pub reason: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_outage(conn: &mut DbConnection, row: &OutageRow) -> QueryResult<()> {
    diesel::insert_into(place_outages::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Whether anyone holds the place on a night between `first` and `last`.
pub fn place_held_between(
    conn: &mut DbConnection,
    place_id: &str,
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
    now: &crate::rules::checkin::Now,
) -> QueryResult<bool> {
    use super::stays::{HoldClock, holding};
    diesel::select(diesel::dsl::exists(
        bookings::table
            .filter(bookings::place_id.eq(place_id))
            .filter(bookings::night.between(first, last))
            .filter(holding!(HoldClock::of(now))),
    ))
    .get_result(conn)
}
