//! Complaints and feedback (synpunkter och klagomål) per shelter, and the
//! user survey the agreement asks for. Complaints carry free text that may
//! name people: only coordinators read it; reports count. The vocabularies
//! of both (kinds, categories, statuses; the questionnaire) live here, and
//! `service::reports` reads them from here.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::auth::Scope;
use crate::db::feedback::{self as fb, ComplaintRow, SurveyRow};
use crate::db::{self, DbConnection, places};
use crate::error::AppError;
use crate::rules::Night;

pub const COMPLAINT_SOURCES: [&str; 2] = ["guest", "staff"];
/// A complaint (klagomål) or other feedback (synpunkt).
pub const COMPLAINT_KINDS: [&str; 2] = ["complaint", "feedback"];
pub const COMPLAINT_CATEGORIES: [&str; 8] = [
    "treatment",
    "safety",
    "hygiene",
    "food",
    "rules",
    "premises",
    "information",
    "other",
];
pub const COMPLAINT_STATUSES: [&str; 4] = ["received", "in_progress", "answered", "closed"];

/// The survey's fixed questions (one questionnaire per period; a new
/// version gets a new id).
pub struct Question {
    pub id: &'static str,
    pub text: &'static str,
    pub answers: &'static [&'static str],
}

pub const QUESTIONNAIRE: &str = "2026-1";
pub const YES_PARTLY_NO: &[&str] = &["yes", "partly", "no"];
pub const QUESTIONS: [Question; 5] = [
    Question {
        id: "safe",
        text: "Did you feel safe at the shelter?",
        answers: YES_PARTLY_NO,
    },
    Question {
        id: "respected",
        text: "Did the staff treat you with respect?",
        answers: YES_PARTLY_NO,
    },
    Question {
        id: "clean",
        text: "Were the shelter and the beds clean?",
        answers: YES_PARTLY_NO,
    },
    Question {
        id: "informed",
        text: "Did you get the information you needed about other help?",
        answers: YES_PARTLY_NO,
    },
    Question {
        id: "overall",
        text: "All in all, how good is the shelter (1 very bad, 5 very good)?",
        answers: &["1", "2", "3", "4", "5"],
    },
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplaintView {
    pub id: String,
    pub shelter_id: String,
    #[schema(value_type = String, format = Date)]
    pub night: Night,
    /// `guest` or `staff`.
    pub source: String,
    /// `complaint` or `feedback`.
    pub kind: String,
    pub category: String,
    pub text: String,
    /// `received`, `in_progress`, `answered` or `closed`.
    pub status: String,
    pub response: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

impl From<ComplaintRow> for ComplaintView {
    fn from(r: ComplaintRow) -> Self {
        Self {
            id: r.id,
            shelter_id: r.shelter_id,
            night: Night::new(r.night),
            source: r.source,
            kind: r.kind,
            category: r.category,
            text: r.text,
            status: r.status,
            response: r.response,
            created_at: r.created_at.and_utc(),
            created_by: r.created_by,
            updated_at: r.updated_at.and_utc(),
            updated_by: r.updated_by,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub shelter_id: String,
    pub night: Night,
    pub source: String,
    pub kind: String,
    pub category: String,
    pub text: String,
}

pub fn record_complaint(
    conn: &mut DbConnection,
    new: &NewComplaint,
    scope: &Scope,
    by: &str,
    at: DateTime<Utc>,
) -> Result<ComplaintView, AppError> {
    scope.require(&new.shelter_id)?;
    db::write_tx(conn, |c| {
        if !places::shelter_exists(c, &new.shelter_id)? {
            return Err(AppError::not_found("shelter"));
        }
        let row = ComplaintRow {
            id: db::new_id(),
            shelter_id: new.shelter_id.clone(),
            night: new.night.date(),
            source: new.source.clone(),
            kind: new.kind.clone(),
            category: new.category.clone(),
            text: new.text.clone(),
            status: "received".to_owned(),
            response: None,
            created_at: at.naive_utc(),
            created_by: by.to_owned(),
            updated_at: at.naive_utc(),
            updated_by: None,
        };
        fb::insert_complaint(c, &row)?;
        Ok(row.into())
    })
}

pub fn list_complaints(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    status: Option<&str>,
) -> Result<Vec<ComplaintView>, AppError> {
    Ok(fb::complaints_between(conn, from, to, status, 1000)?
        .into_iter()
        .map(ComplaintView::from)
        .collect())
}

/// Whether a complaint may go from `from` to `to`: forward through
/// received → in_progress → answered → closed, skipping steps allowed;
/// an answer may be reopened (in_progress).
pub fn may_move(from: &str, to: &str) -> bool {
    let rank = |s: &str| COMPLAINT_STATUSES.iter().position(|x| *x == s);
    match (rank(from), rank(to)) {
        (Some(a), Some(b)) => b > a || (from == "answered" && to == "in_progress"),
        _ => false,
    }
}

pub fn update_complaint(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    response: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<ComplaintView, AppError> {
    db::write_tx(conn, |c| {
        let current = fb::complaint(c, id)?.ok_or_else(|| AppError::not_found("complaint"))?;
        if current.status != status && !may_move(&current.status, status) {
            return Err(AppError::Conflict {
                code: "complaint-transition",
                detail: format!(
                    "A complaint that is {} cannot become {status}: received → in_progress → answered → closed.",
                    current.status
                ),
            });
        }
        if status == "answered" && response.is_none() && current.response.is_none() {
            return Err(AppError::validation(
                "response",
                "is needed to mark the complaint answered",
            ));
        }
        fb::update_complaint(c, id, status, response, by, at.naive_utc())?;
        let row = fb::complaint(c, id)?.ok_or_else(|| AppError::not_found("complaint"))?;
        Ok(row.into())
    })
}

/// One answer to the survey; every question may be left out.
#[derive(Debug, Clone)]
pub struct SurveyAnswer {
    pub shelter_id: String,
    pub night: Night,
    pub safe: Option<String>,
    pub respected: Option<String>,
    pub clean: Option<String>,
    pub informed: Option<String>,
    pub overall: Option<i32>,
}

pub fn record_answer(
    conn: &mut DbConnection,
    answer: &SurveyAnswer,
    scope: &Scope,
) -> Result<String, AppError> {
    scope.require(&answer.shelter_id)?;
    db::write_tx(conn, |c| {
        if !places::shelter_exists(c, &answer.shelter_id)? {
            return Err(AppError::not_found("shelter"));
        }
        let row = SurveyRow {
            id: db::new_id(),
            shelter_id: answer.shelter_id.clone(),
            night: answer.night.date(),
            questionnaire: QUESTIONNAIRE.to_owned(),
            safe: answer.safe.clone(),
            respected: answer.respected.clone(),
            clean: answer.clean.clone(),
            informed: answer.informed.clone(),
            overall: answer.overall,
        };
        fb::insert_survey(c, &row)?;
        Ok(row.id)
    })
}

#[cfg(test)]
mod tests {
    use super::may_move;

    #[test]
    fn complaints_move_forward_and_an_answer_may_be_reopened() {
        assert!(may_move("received", "in_progress"));
        assert!(may_move("received", "answered"));
        assert!(may_move("answered", "closed"));
        assert!(may_move("answered", "in_progress"));
        assert!(!may_move("closed", "received"));
        assert!(!may_move("in_progress", "received"));
        assert!(!may_move("closed", "answered"));
    }
}
