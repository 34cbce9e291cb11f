//! The report's period: presets, the nights of a period, ages on its
//! first night.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::reports as q;

/// The report's period: nights `from..=to`, all of them over.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Period {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// `half-year` or `partnership-year` when asked for by preset.
    pub preset: Option<String>,
    /// The last night asked for, when it was later than the last night
    /// that is over (the report ends there).
    #[schema(value_type = Option<String>, format = Date)]
    pub cut_short_from: Option<NaiveDate>,
}

/// The nights a preset covers around `of`: the half of the partnership
/// year (1 May to 31 October, 1 November to 30 April), or the whole
/// partnership year from 1 May.
pub fn preset_period(preset: &str, of: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let half = q::half_of(of);
    match preset {
        "half-year" => {
            let end = half
                .checked_add_months(chrono::Months::new(6))?
                .pred_opt()?;
            Some((half, end))
        }
        "partnership-year" => {
            let year = if of.month() >= 5 {
                of.year()
            } else {
                of.year() - 1
            };
            let start = NaiveDate::from_ymd_opt(year, 5, 1)?;
            let end = NaiveDate::from_ymd_opt(year + 1, 4, 30)?;
            Some((start, end))
        }
        _ => None,
    }
}

/// Age on `on` of a person born on `born` (31 December of the birth year
/// when only the year is known), as the rules count it.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> i32 {
    crate::rules::eligibility::age_at(born, on)
}

pub(super) fn nights_of(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days().take_while(|d| *d <= to).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn presets_cover_the_halves_and_the_partnership_year() {
        assert_eq!(
            preset_period("half-year", d("2019-12-15")),
            Some((d("2019-11-01"), d("2020-04-30")))
        );
        assert_eq!(
            preset_period("half-year", d("2019-06-01")),
            Some((d("2019-05-01"), d("2019-10-31")))
        );
        assert_eq!(
            preset_period("partnership-year", d("2020-02-01")),
            Some((d("2019-05-01"), d("2020-04-30")))
        );
        assert_eq!(preset_period("decade", d("2020-02-01")), None);
    }

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on(d("1990-12-31"), d("2019-12-01")), 28);
        assert_eq!(age_on(d("1990-12-01"), d("2019-12-01")), 29);
    }
}
