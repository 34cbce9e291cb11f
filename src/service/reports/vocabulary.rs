//! The report's fixed vocabulary: the columns of its tables in order. The
//! complaints' and the survey's own vocabularies are `service::feedback`'s.

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

pub(super) fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}
