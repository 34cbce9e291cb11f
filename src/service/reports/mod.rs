//! The partnership's follow-up (issue 7): occupancy per night, the
//! follow-up report for a period, and the bed-night export.
//!
//! Everything is aggregated in SQL from the summaries kept at write time
//! (`db::reports`); these modules put the figures together, apply the
//! bed rules where the database is lazy (a stay that has reached its
//! no-show limit but that nobody has read since is ended here as the
//! rules say, `no_shows`), and suppress small counts of people
//! (`service::suppression`).
//!
//! - `vocabulary`: the columns of the tables in order (the complaints'
//!   and the survey's are `service::feedback`'s).
//! - `periods`: the report's period, presets, ages.
//! - `occupancy`: places in service and their use per night.
//! - `no_shows`: stays the no-show rule has ended that nobody has read.
//! - `table`: tables of counts built in one suppression engine.
//! - `follow_up`: the follow-up report.
//! - `export`: the bed-night export.
//! - `pseudonym`: the pseudonymous guest ids of the export.

use secrecy::SecretString;

mod export;
mod follow_up;
mod no_shows;
mod occupancy;
mod periods;
mod pseudonym;
mod table;
mod vocabulary;

pub use export::export_night;
pub use follow_up::{
    Breakdowns, Complaints, FollowUpReport, Organisation, Referrals, ReportInput, Suppression,
    SurveyQuestionSummary, SurveySummary, follow_up, turnaways_per_night,
};
pub use occupancy::{
    NightTotals, NightUse, Occupancy, ShelterNightUse, Use, occupancy_per_shelter,
};
pub use periods::{Period, age_on, preset_period};
pub use pseudonym::pseudonym;
pub use table::{Table, TableRow};
pub use vocabulary::{
    AGE_BANDS, GENDERS, INCIDENT_KINDS, REFERRAL_STATUSES, STAY_OUTCOMES, TURNAWAY_REASONS,
};

/// Reports' settings as the running service holds them: the threshold of
/// small counts (`service::suppression`) and the key of the export's
/// pseudonyms, read from `config::ReportSettings` at start-up.
#[derive(Debug, Clone)]
pub struct ReportState {
    pub suppress_below: u32,
    pub pseudonym_secret: SecretString,
}
