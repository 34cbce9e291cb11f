//! Complaints and feedback (synpunkter och klagomål), and answers to the
//! user survey.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{complaints, survey_responses};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = complaints, treat_none_as_default_value = false)]
pub struct ComplaintRow {
    pub id: String,
    pub shelter_id: String,
    pub night: NaiveDate,
    pub source: String,
    pub kind: String,
    pub category: String,
    pub text: String,
    pub status: String,
    pub response: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: Option<String>,
}

pub fn insert_complaint(conn: &mut DbConnection, row: &ComplaintRow) -> QueryResult<()> {
    diesel::insert_into(complaints::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn complaint(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ComplaintRow>> {
    if !crate::domain::is_id(id) {
        return Ok(None);
    }
    complaints::table
        .find(id)
        .select(ComplaintRow::as_select())
        .first(conn)
        .optional()
}

/// Complaints of the nights `from..=to`, oldest first, of one status or
/// all, at most `limit`.
pub fn complaints_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    status: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ComplaintRow>> {
    let mut q = complaints::table
        .filter(complaints::night.between(from, to))
        .order((complaints::night.asc(), complaints::created_at.asc()))
        .limit(limit)
        .select(ComplaintRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(complaints::status.eq(s.to_owned()));
    }
    q.load(conn)
}

pub fn update_complaint(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    response: Option<&str>,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(complaints::table.find(id))
        .set((
            complaints::status.eq(status),
            complaints::updated_by.eq(by),
            complaints::updated_at.eq(at),
        ))
        .execute(conn)?;
    if let Some(r) = response {
        diesel::update(complaints::table.find(id))
            .set(complaints::response.eq(r))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_responses, treat_none_as_default_value = false)]
pub struct SurveyRow {
    pub id: String,
    pub shelter_id: String,
    pub night: NaiveDate,
    pub questionnaire: String,
    pub safe: Option<String>,
    pub respected: Option<String>,
    pub clean: Option<String>,
    pub informed: Option<String>,
    pub overall: Option<i32>,
}

pub fn insert_survey(conn: &mut DbConnection, row: &SurveyRow) -> QueryResult<()> {
    diesel::insert_into(survey_responses::table)
        .values(row)
        .execute(conn)
        .map(drop)
}
