//! Intake sessions and their applicants.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{intake_applicants, intake_sessions};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = intake_sessions)]
pub struct SessionRow {
    pub id: String,
    pub first_night: NaiveDate,
    pub shelter_ids: String,
    pub status: String,
    pub seed: Option<String>,
    pub women_places: Option<i32>,
    pub regular_places: Option<i32>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub drawn_at: Option<NaiveDateTime>,
    pub drawn_by: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = intake_applicants)]
pub struct ApplicantRow {
    pub session_id: String,
    pub position: i32,
    pub guest_id: String,
    pub gender: String,
    pub eligible: Option<bool>,
    pub code: Option<String>,
    pub outcome: Option<String>,
    pub stay_id: Option<String>,
    pub registered_at: NaiveDateTime,
}

pub fn insert_session(conn: &mut DbConnection, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(intake_sessions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn session(conn: &mut DbConnection, id: &str) -> QueryResult<Option<SessionRow>> {
    if !crate::domain::is_id(id) {
        return Ok(None);
    }
    intake_sessions::table
        .find(id)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// The sessions whose first night is `from` or later, the latest first.
pub fn sessions_from(conn: &mut DbConnection, from: NaiveDate) -> QueryResult<Vec<SessionRow>> {
    intake_sessions::table
        .filter(intake_sessions::first_night.ge(from))
        .order((
            intake_sessions::first_night.desc(),
            intake_sessions::created_at.desc(),
        ))
        .limit(100)
        .select(SessionRow::as_select())
        .load(conn)
}

pub fn applicants(conn: &mut DbConnection, session_id: &str) -> QueryResult<Vec<ApplicantRow>> {
    intake_applicants::table
        .filter(intake_applicants::session_id.eq(session_id))
        .order(intake_applicants::position.asc())
        .select(ApplicantRow::as_select())
        .load(conn)
}

pub fn insert_applicant(conn: &mut DbConnection, row: &ApplicantRow) -> QueryResult<()> {
    diesel::insert_into(intake_applicants::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn record_outcome(
    conn: &mut DbConnection,
    session_id: &str,
    guest_id: &str,
    eligible: bool,
    code: Option<&str>,
    outcome: &str,
    stay_id: Option<&str>,
) -> QueryResult<()> {
    diesel::update(intake_applicants::table.find((session_id, guest_id)))
        .set((
            intake_applicants::eligible.eq(eligible),
            intake_applicants::code.eq(code),
            intake_applicants::outcome.eq(outcome),
            intake_applicants::stay_id.eq(stay_id),
        ))
        .execute(conn)
        .map(drop)
}

pub fn mark_drawn(
    conn: &mut DbConnection,
    id: &str,
    seed: &str,
    women: i32,
    regular: i32,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(intake_sessions::table.find(id))
        .set((
            intake_sessions::status.eq("drawn"),
            intake_sessions::seed.eq(seed),
            intake_sessions::women_places.eq(women),
            intake_sessions::regular_places.eq(regular),
            intake_sessions::drawn_by.eq(by),
            intake_sessions::drawn_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}
