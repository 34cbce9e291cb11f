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

/// The most nights any count of a rule set may be: a year. More is no
/// rule a shelter can keep, and it keeps every night a stay computes
/// within the calendar's range.
pub const MAX_NIGHTS: u32 = 366;

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

    /// Why a new rule set may not be added, or `Ok`: each setting within
    /// what the rules can apply (a stay of at least one night, a karenstid
    /// and a horizon of no nights or more, a no-show limit of at least one
    /// night, a finite threshold, target groups of two-letter country
    /// codes, each once); its first night after every night a stay may
    /// already have been granted for (tonight plus the booking horizon in
    /// force tonight), so that no granted stay, and no desk deciding while
    /// the new set is being heard of, could fall under it; and after every
    /// rule set there is (versions follow one another in time; one that
    /// came before the newest would rewrite what the newest decided).
    /// Each problem is `(setting, what is wrong)`.
    pub fn check_new(
        &self,
        existing: &[RuleSet],
        tonight: Night,
    ) -> Result<(), Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let horizon = RuleSet::in_force(existing, tonight)
            .or_else(|| existing.first())
            .map_or(0, |r| r.booking_horizon_nights);
        let bookable = tonight.plus(i64::from(horizon));
        if self.effective_from <= bookable {
            problems.push((
                "effective_from",
                format!(
                    "must be after {bookable}: stays may already be granted up to that night \
                     (tonight {tonight} and {horizon} night(s) ahead)"
                ),
            ));
        }
        if let Some(newest) = existing.iter().map(|s| s.effective_from).max()
            && self.effective_from <= newest
        {
            problems.push((
                "effective_from",
                format!("must be after {newest}, the night the newest rule set takes effect"),
            ));
        }
        for (name, value) in [
            ("regular_nights", self.regular_nights),
            ("women_nights", self.women_nights),
            ("no_show_ends_stay_after", self.no_show_ends_stay_after),
        ] {
            if value == 0 {
                problems.push((name, "must be at least 1".to_owned()));
            }
        }
        for (name, value) in [
            ("regular_nights", self.regular_nights),
            ("women_nights", self.women_nights),
            ("quarantine_nights", self.quarantine_nights),
            ("no_show_ends_stay_after", self.no_show_ends_stay_after),
            ("booking_horizon_nights", self.booking_horizon_nights),
        ] {
            if value > MAX_NIGHTS {
                problems.push((name, format!("must be at most {MAX_NIGHTS}")));
            }
        }
        if !self.cold_night_threshold_c.is_finite()
            || !(-60.0..=30.0).contains(&self.cold_night_threshold_c)
        {
            problems.push((
                "cold_night_threshold_c",
                "must be a temperature from -60 to 30 °C".to_owned(),
            ));
        }
        for (name, codes) in [
            ("target_citizenships", &self.target_citizenships),
            ("target_permit_countries", &self.target_permit_countries),
        ] {
            let well_formed = codes
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()));
            let mut sorted: Vec<&String> = codes.iter().collect();
            sorted.sort();
            sorted.dedup();
            if !well_formed {
                problems.push((
                    name,
                    "must be ISO 3166-1 alpha-2 codes in capitals, like RO".to_owned(),
                ));
            } else if sorted.len() != codes.len() {
                problems.push((name, "names a country twice".to_owned()));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
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

    fn fields(r: Result<(), Vec<(&'static str, String)>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn a_new_rule_set_takes_effect_after_the_bookable_nights_and_after_the_newest() {
        let first = RuleSet::defaults(night("2019-01-01"));
        let existing = vec![first.clone()];
        let tonight = night("2019-12-01");
        // The default horizon is one night: tomorrow's stays may be granted.
        let ok = RuleSet::defaults(night("2019-12-03"));
        assert_eq!(ok.check_new(&existing, tonight), Ok(()));
        assert_eq!(
            fields(RuleSet::defaults(tonight).check_new(&existing, tonight)),
            vec!["effective_from"],
            "tonight's rules never change under the desks"
        );
        assert_eq!(
            fields(RuleSet::defaults(night("2019-12-02")).check_new(&existing, tonight)),
            vec!["effective_from"],
            "tomorrow's stays may already be granted"
        );
        let mut wide = first.clone();
        wide.booking_horizon_nights = 3;
        let wide = vec![wide];
        assert_eq!(
            fields(ok.check_new(&wide, tonight)),
            vec!["effective_from"],
            "the horizon in force tonight decides"
        );
        assert_eq!(
            RuleSet::defaults(night("2019-12-05")).check_new(&wide, tonight),
            Ok(())
        );
        let mut none = first.clone();
        none.booking_horizon_nights = 0;
        assert_eq!(
            RuleSet::defaults(night("2019-12-02")).check_new(&[none], tonight),
            Ok(())
        );
        assert_eq!(
            fields(RuleSet::defaults(night("2019-11-30")).check_new(&existing, tonight)),
            vec!["effective_from"]
        );
        let later = vec![RuleSet::defaults(night("2019-12-10"))];
        assert_eq!(
            fields(ok.check_new(&later, tonight)),
            vec!["effective_from"],
            "before the newest"
        );
        assert_eq!(
            fields(RuleSet::defaults(night("2019-12-10")).check_new(&later, tonight)),
            vec!["effective_from"],
            "on the newest's night"
        );
        assert_eq!(
            RuleSet::defaults(night("2019-12-11")).check_new(&later, tonight),
            Ok(())
        );
        assert_eq!(
            RuleSet::defaults(night("2019-12-02")).check_new(&[], tonight),
            Ok(())
        );
    }

    #[test]
    fn every_setting_is_held_to_what_the_rules_can_apply() {
        let tonight = night("2019-12-01");
        let base = RuleSet::defaults(night("2019-12-03"));
        let check = |change: &dyn Fn(&mut RuleSet)| {
            let mut r = base.clone();
            change(&mut r);
            fields(r.check_new(&[], tonight))
        };
        assert_eq!(check(&|r| r.regular_nights = 0), vec!["regular_nights"]);
        assert_eq!(check(&|r| r.women_nights = 0), vec!["women_nights"]);
        assert_eq!(
            check(&|r| r.no_show_ends_stay_after = 0),
            vec!["no_show_ends_stay_after"]
        );
        assert_eq!(check(&|r| r.quarantine_nights = 0), Vec::<&str>::new());
        assert_eq!(check(&|r| r.booking_horizon_nights = 0), Vec::<&str>::new());
        assert_eq!(
            check(&|r| r.regular_nights = MAX_NIGHTS),
            Vec::<&str>::new()
        );
        assert_eq!(
            check(&|r| r.regular_nights = MAX_NIGHTS + 1),
            vec!["regular_nights"]
        );
        assert_eq!(
            check(&|r| r.women_nights = MAX_NIGHTS + 1),
            vec!["women_nights"]
        );
        assert_eq!(
            check(&|r| r.quarantine_nights = MAX_NIGHTS + 1),
            vec!["quarantine_nights"]
        );
        assert_eq!(
            check(&|r| r.no_show_ends_stay_after = MAX_NIGHTS + 1),
            vec!["no_show_ends_stay_after"]
        );
        assert_eq!(
            check(&|r| r.booking_horizon_nights = MAX_NIGHTS + 1),
            vec!["booking_horizon_nights"]
        );
        assert_eq!(
            check(&|r| r.cold_night_threshold_c = -60.0),
            Vec::<&str>::new()
        );
        assert_eq!(
            check(&|r| r.cold_night_threshold_c = 30.0),
            Vec::<&str>::new()
        );
        for bad in [f64::NAN, f64::INFINITY, -60.5, 30.5] {
            assert_eq!(
                check(&|r| r.cold_night_threshold_c = bad),
                vec!["cold_night_threshold_c"],
                "{bad}"
            );
        }
        for (bad, why) in [
            (vec!["ro".to_owned()], "small letters"),
            (vec!["ROU".to_owned()], "three letters"),
            (vec!["R".to_owned()], "one letter"),
            (vec!["RO".to_owned(), "RO".to_owned()], "twice"),
        ] {
            assert_eq!(
                check(&|r| r.target_citizenships = bad.clone()),
                vec!["target_citizenships"],
                "{why}"
            );
            assert_eq!(
                check(&|r| r.target_permit_countries = bad.clone()),
                vec!["target_permit_countries"],
                "{why}"
            );
        }
        assert_eq!(
            check(&|r| r.target_citizenships = Vec::new()),
            Vec::<&str>::new()
        );
    }
}
