//! What one shelter's night looks like, read only: the night's bookings at
//! the shelter with their guests' names, and the places out of service
//! that night. `service::tonight` turns them into the front desk's list.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{bookings, guests, place_outages, placements, places};
use super::stays::BookingRow;

/// One booking of the night at the shelter, with what the desk sees of
/// its guest, and the placement it belongs to (for a single-night
/// placement).
#[derive(Debug, Clone)]
pub struct NightBooking {
    pub booking: BookingRow,
    pub given_name: String,
    pub family_name: String,
    pub placement_id: Option<String>,
}

/// Every booking of `night` at `shelter_id`, whether it still holds its
/// place or not (the caller decides with `rules::checkin`).
pub fn bookings_at(
    conn: &mut DbConnection,
    shelter_id: &str,
    night: NaiveDate,
) -> QueryResult<Vec<NightBooking>> {
    let rows: Vec<(BookingRow, String, String, Option<String>)> = bookings::table
        .inner_join(guests::table.on(guests::id.eq(bookings::guest_id)))
        .left_join(placements::table.on(placements::booking_id.eq(bookings::id)))
        .filter(bookings::shelter_id.eq(shelter_id))
        .filter(bookings::night.eq(night))
        .order((bookings::place_id.asc(), bookings::created_at.asc()))
        .select((
            BookingRow::as_select(),
            guests::given_name,
            guests::family_name,
            placements::id.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(booking, given_name, family_name, placement_id)| NightBooking {
                booking,
                given_name,
                family_name,
                placement_id,
            },
        )
        .collect())
}

/// The ids of the shelter's places that are out of service on `night`.
pub fn out_of_service(
    conn: &mut DbConnection,
    shelter_id: &str,
    night: NaiveDate,
) -> QueryResult<Vec<String>> {
    place_outages::table
        .inner_join(places::table)
        .filter(places::shelter_id.eq(shelter_id))
        .filter(place_outages::first_night.le(night))
        .filter(place_outages::last_night.ge(night))
        .select(place_outages::place_id)
        .distinct()
        .load(conn)
}
