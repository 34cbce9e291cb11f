//! Bans (avstängning) and the guests' refusals counted as turn-aways.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{bans, referrals, turnaways};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = bans)]
pub struct BanRow {
    pub id: String,
    pub guest_id: String,
    pub shelter_id: Option<String>,
    pub first_night: NaiveDate,
    pub last_night: NaiveDate,
    pub reason: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

pub fn insert_ban(conn: &mut DbConnection, row: &BanRow) -> QueryResult<()> {
    diesel::insert_into(bans::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The guest's bans that have not ended before `from`.
pub fn bans_of(
    conn: &mut DbConnection,
    guest_id: &str,
    from: NaiveDate,
) -> QueryResult<Vec<BanRow>> {
    bans::table
        .filter(bans::guest_id.eq(guest_id))
        .filter(bans::last_night.ge(from))
        .select(BanRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = turnaways)]
pub struct TurnawayRow {
    pub id: String,
    pub night: NaiveDate,
    pub shelter_id: Option<String>,
    pub reason: String,
    pub kind: String,
    pub gender: String,
    pub age_band: String,
    pub citizenship: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_turnaway(conn: &mut DbConnection, row: &TurnawayRow) -> QueryResult<()> {
    diesel::insert_into(turnaways::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn turnaways_on(conn: &mut DbConnection, night: NaiveDate) -> QueryResult<Vec<TurnawayRow>> {
    turnaways::table
        .filter(turnaways::night.eq(night))
        .order(turnaways::created_at.asc())
        .select(TurnawayRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = referrals)]
pub struct ReferralRow {
    pub id: String,
    pub guest_id: String,
    pub reason: String,
    pub acute: bool,
    pub status: String,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: Option<String>,
}

pub fn insert_referral(conn: &mut DbConnection, row: &ReferralRow) -> QueryResult<()> {
    diesel::insert_into(referrals::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn referrals_of(conn: &mut DbConnection, guest_id: &str) -> QueryResult<Vec<ReferralRow>> {
    referrals::table
        .filter(referrals::guest_id.eq(guest_id))
        .order(referrals::created_at.asc())
        .select(ReferralRow::as_select())
        .load(conn)
}
