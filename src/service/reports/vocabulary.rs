//! The report's fixed vocabulary: the columns of its tables in order, and
//! the survey's questions.

/// The age bands of the report (issue 7), with `under-18` for the rare
/// placement of a minor.
pub const AGE_BANDS: [&str; 7] = [
    "under-18", "18-25", "26-35", "36-45", "46-55", "56-65", "66+",
];
pub const GENDERS: [&str; 4] = ["woman", "man", "other", "unknown"];
/// Refusal codes that are counted (RULES.md §8), in the report's order.
pub const TURNAWAY_REASONS: [&str; 10] = [
    "no-free-place",
    "in-quarantine",
    "lost-draw",
    "outside-target-group",
    "minor",
    "banned",
    "category-not-allowed",
    "night-out-of-range",
    "reservation-released",
    "not-a-cold-night",
];
pub const REFERRAL_STATUSES: [&str; 3] = ["open", "taken", "closed"];
pub const INCIDENT_KINDS: [&str; 2] = ["threat", "violence"];
pub const STAY_OUTCOMES: [&str; 3] = ["begun", "ended_early", "ended_by_no_shows"];

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

pub(super) fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}
