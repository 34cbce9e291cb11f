//! A rule set: the configurable values of RULES.md, one version per date it
//! takes effect. A stay is judged by the rule set in force on its first
//! night.

use chrono::NaiveTime;

use super::Night;

/// EU member states other than Sweden (ISO 3166-1 alpha-2): the default
/// target group of RULES.md §7, for citizenship and for residence permits.
pub const EU_EXCEPT_SWEDEN: [&str; 26] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
];

#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub effective_from: Night,
    pub no_show_cutoff: NaiveTime,
    pub regular_nights: u32,
    pub women_nights: u32,
    pub quarantine_nights: u32,
    pub no_show_ends_stay_after: u32,
    pub booking_horizon_nights: u32,
    pub cold_night_threshold_c: f64,
    pub target_citizenships: Vec<String>,
    pub target_permit_countries: Vec<String>,
}

impl RuleSet {
    /// The defaults RULES.md gives, in force from `effective_from`.
    pub fn defaults(effective_from: Night) -> Self {
        let eu: Vec<String> = EU_EXCEPT_SWEDEN.iter().map(|c| (*c).to_owned()).collect();
        Self {
            effective_from,
            no_show_cutoff: NaiveTime::from_hms_opt(23, 0, 0).unwrap_or(NaiveTime::MIN),
            regular_nights: 5,
            women_nights: 7,
            quarantine_nights: 2,
            no_show_ends_stay_after: 2,
            booking_horizon_nights: 1,
            cold_night_threshold_c: -7.0,
            target_citizenships: eu.clone(),
            target_permit_countries: eu,
        }
    }

    /// The rule set in force on `night`: the one with the latest
    /// `effective_from` not after it. `None` before the first one.
    pub fn in_force(sets: &[RuleSet], night: Night) -> Option<&RuleSet> {
        sets.iter()
            .filter(|s| s.effective_from <= night)
            .max_by_key(|s| s.effective_from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn night(s: &str) -> Night {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_are_those_of_the_rules() {
        let r = RuleSet::defaults(night("2019-01-01"));
        assert_eq!(r.regular_nights, 5);
        assert_eq!(r.women_nights, 7);
        assert_eq!(r.quarantine_nights, 2);
        assert_eq!(r.no_show_ends_stay_after, 2);
        assert_eq!(r.booking_horizon_nights, 1);
        assert_eq!(r.cold_night_threshold_c, -7.0);
        assert_eq!(r.no_show_cutoff, NaiveTime::from_hms_opt(23, 0, 0).unwrap());
        assert_eq!(r.target_citizenships.len(), 26);
        assert!(!r.target_citizenships.iter().any(|c| c == "SE"));
        assert!(r.target_citizenships.iter().any(|c| c == "RO"));
    }

    #[test]
    fn the_set_in_force_is_the_latest_that_has_begun() {
        let a = RuleSet::defaults(night("2019-01-01"));
        let mut b = RuleSet::defaults(night("2020-01-01"));
        b.regular_nights = 6;
        let sets = vec![b.clone(), a.clone()];
        assert_eq!(RuleSet::in_force(&sets, night("2018-12-31")), None);
        assert_eq!(RuleSet::in_force(&sets, night("2019-01-01")), Some(&a));
        assert_eq!(RuleSet::in_force(&sets, night("2019-12-31")), Some(&a));
        assert_eq!(RuleSet::in_force(&sets, night("2020-01-01")), Some(&b));
        assert_eq!(RuleSet::in_force(&sets, night("2030-01-01")), Some(&b));
    }
}
