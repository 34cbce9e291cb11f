//! Referrals (the inbox) and incidents of threats and violence.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::bans::ReferralRow;
use super::schema::{ban_grounds, incident_guests, incidents, referrals};

pub fn referral(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ReferralRow>> {
    if !crate::domain::is_id(id) {
        return Ok(None);
    }
    referrals::table
        .find(id)
        .select(ReferralRow::as_select())
        .first(conn)
        .optional()
}

/// The newest referrals first, of one status or all.
pub fn referrals(
    conn: &mut DbConnection,
    status: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ReferralRow>> {
    let mut q = referrals::table
        .order(referrals::created_at.desc())
        .limit(limit)
        .select(ReferralRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(referrals::status.eq(s.to_owned()));
    }
    q.load(conn)
}

pub fn update_referral(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    note: Option<&str>,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let target = referrals::table.find(id);
    diesel::update(target)
        .set((
            referrals::status.eq(status),
            referrals::updated_by.eq(by),
            referrals::updated_at.eq(at),
        ))
        .execute(conn)?;
    if let Some(n) = note {
        diesel::update(referrals::table.find(id))
            .set(referrals::note.eq(n))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = incidents)]
pub struct IncidentRow {
    pub id: String,
    pub shelter_id: String,
    pub night: NaiveDate,
    pub kind: String,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

pub fn insert_incident(
    conn: &mut DbConnection,
    row: &IncidentRow,
    guests: &[String],
) -> QueryResult<()> {
    diesel::insert_into(incidents::table)
        .values(row)
        .execute(conn)?;
    for g in guests {
        diesel::insert_into(incident_guests::table)
            .values((
                incident_guests::incident_id.eq(&row.id),
                incident_guests::guest_id.eq(g),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn incident(conn: &mut DbConnection, id: &str) -> QueryResult<Option<IncidentRow>> {
    if !crate::domain::is_id(id) {
        return Ok(None);
    }
    incidents::table
        .find(id)
        .select(IncidentRow::as_select())
        .first(conn)
        .optional()
}

pub fn incidents_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<IncidentRow>> {
    incidents::table
        .filter(incidents::night.between(from, to))
        .order((incidents::night.asc(), incidents::created_at.asc()))
        .select(IncidentRow::as_select())
        .load(conn)
}

pub fn guests_of(conn: &mut DbConnection, incident_id: &str) -> QueryResult<Vec<String>> {
    incident_guests::table
        .filter(incident_guests::incident_id.eq(incident_id))
        .order(incident_guests::guest_id.asc())
        .select(incident_guests::guest_id)
        .load(conn)
}

/// The guests of many incidents in one query, as (incident, guest) pairs.
pub fn guests_of_all(
    conn: &mut DbConnection,
    incident_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    incident_guests::table
        .filter(incident_guests::incident_id.eq_any(incident_ids))
        .order((
            incident_guests::incident_id.asc(),
            incident_guests::guest_id.asc(),
        ))
        .select((incident_guests::incident_id, incident_guests::guest_id))
        .load(conn)
}

pub fn add_ground(conn: &mut DbConnection, ban_id: &str, incident_id: &str) -> QueryResult<()> {
    diesel::insert_into(ban_grounds::table)
        .values((
            ban_grounds::ban_id.eq(ban_id),
            ban_grounds::incident_id.eq(incident_id),
        ))
        .execute(conn)
        .map(drop)
}

pub fn grounds_of(conn: &mut DbConnection, ban_id: &str) -> QueryResult<Vec<String>> {
    ban_grounds::table
        .filter(ban_grounds::ban_id.eq(ban_id))
        .select(ban_grounds::incident_id)
        .load(conn)
}
