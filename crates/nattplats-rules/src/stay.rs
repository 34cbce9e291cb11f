//! Stays: their length by category, their period and karenstid (RULES.md §3).

use super::kinds::{Gender, PlaceCategory};

use super::{Night, RuleSet};

/// The nights a stay covers and the karenstid after it. Fixed when the
/// stay is granted: ending early, no-shows and moves never change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first_night: Night,
    pub length: u32,
    pub quarantine: u32,
}

impl Period {
    pub fn new(first_night: Night, length: u32, quarantine: u32) -> Self {
        Self {
            first_night,
            length,
            quarantine,
        }
    }

    /// The period of a stay granted on a place of `category` under `rules`.
    pub fn granted(first_night: Night, category: PlaceCategory, rules: &RuleSet) -> Self {
        Self::new(
            first_night,
            length_for(category, rules),
            rules.quarantine_nights,
        )
    }

    /// The last night of the stay, S+L-1.
    pub fn last_night(&self) -> Night {
        self.first_night.plus(i64::from(self.length) - 1)
    }

    /// The last night of karenstid, S+L+Q-1 (the last night when Q = 0).
    pub fn quarantine_last_night(&self) -> Night {
        self.first_night
            .plus(i64::from(self.length) + i64::from(self.quarantine) - 1)
    }

    /// The first night a new stay may start, S+L+Q.
    pub fn eligible_again_from(&self) -> Night {
        self.first_night
            .plus(i64::from(self.length) + i64::from(self.quarantine))
    }

    pub fn covers(&self, night: Night) -> bool {
        self.first_night <= night && night <= self.last_night()
    }

    /// Every night of the stay, in order.
    pub fn nights(&self) -> Vec<Night> {
        (0..i64::from(self.length))
            .map(|i| self.first_night.plus(i))
            .collect()
    }
}

/// L: `women_nights` when the first place is a women's place, otherwise
/// `regular_nights`.
pub fn length_for(category: PlaceCategory, rules: &RuleSet) -> u32 {
    match category {
        PlaceCategory::Women => rules.women_nights,
        PlaceCategory::Regular | PlaceCategory::Overflow => rules.regular_nights,
    }
}

/// Whether a guest of `gender` may be given a place of `category` for a
/// stay. Women's places are for women; overflow places never hold stays.
pub fn fits_stay(category: PlaceCategory, gender: Gender) -> bool {
    match category {
        PlaceCategory::Regular => true,
        PlaceCategory::Women => gender == Gender::Woman,
        PlaceCategory::Overflow => false,
    }
}

/// The categories to try for a new stay, in order of preference. A named
/// category is the only one tried; with none named a woman is offered a
/// women's place first, then a regular one.
pub fn stay_categories(
    requested: Option<PlaceCategory>,
    gender: Gender,
) -> Result<Vec<PlaceCategory>, super::Refusal> {
    match requested {
        Some(c) if fits_stay(c, gender) => Ok(vec![c]),
        Some(_) => Err(super::Refusal::CategoryNotAllowed),
        None if gender == Gender::Woman => Ok(vec![PlaceCategory::Women, PlaceCategory::Regular]),
        None => Ok(vec![PlaceCategory::Regular]),
    }
}

/// The nights of a stay an act releases (RULES.md §3, §4): every night
/// from `from` on (every night of the stay when `None`), and a night the
/// guest has checked in for only when `checked_in_too`. A check-in is only
/// ever recorded for the current night or one before it, so "not checked
/// in" only ever spares the current night. The storage applies it as one
/// update (`db::stays::release`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    pub from: Option<Night>,
    pub checked_in_too: bool,
}

impl Release {
    /// Ending a stay early, by the guest, staff or a ban (§3, §7): every
    /// night after the current one, and the current night too unless the
    /// guest has checked in for it.
    pub fn early_end(current: Night) -> Self {
        Self {
            from: Some(current),
            checked_in_too: false,
        }
    }

    /// The ending by no-shows (§4): every night after the last missed one.
    pub fn no_show_end(last_missed: Night) -> Self {
        Self {
            from: Some(last_missed.plus(1)),
            checked_in_too: false,
        }
    }

    /// A void (§3): every night, as if the stay never existed.
    pub fn void() -> Self {
        Self {
            from: None,
            checked_in_too: true,
        }
    }

    /// Whether this release takes `night` of the stay.
    pub fn releases(&self, night: Night, checked_in: bool) -> bool {
        self.from.is_none_or(|f| night >= f) && (self.checked_in_too || !checked_in)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Refusal;
    use super::*;

    fn night(s: &str) -> Night {
        s.parse().unwrap()
    }

    fn rules() -> RuleSet {
        RuleSet::defaults(night("2019-01-01"))
    }

    #[test]
    fn example_1_a_regular_stay() {
        let p = Period::granted(night("2019-12-01"), PlaceCategory::Regular, &rules());
        assert_eq!(p.length, 5);
        assert_eq!(p.last_night(), night("2019-12-05"));
        assert_eq!(p.quarantine_last_night(), night("2019-12-07"));
        assert_eq!(p.eligible_again_from(), night("2019-12-08"));
        assert_eq!(
            p.nights(),
            [
                "2019-12-01",
                "2019-12-02",
                "2019-12-03",
                "2019-12-04",
                "2019-12-05"
            ]
            .map(night)
            .to_vec()
        );
    }

    #[test]
    fn example_2_a_womens_stay() {
        let p = Period::granted(night("2019-12-01"), PlaceCategory::Women, &rules());
        assert_eq!(p.length, 7);
        assert_eq!(p.last_night(), night("2019-12-07"));
        assert_eq!(p.quarantine_last_night(), night("2019-12-09"));
        assert_eq!(p.eligible_again_from(), night("2019-12-10"));
        assert_eq!(p.nights().len(), 7);
    }

    #[test]
    fn example_3_a_woman_on_a_regular_place_gets_five_nights() {
        let p = Period::granted(night("2019-12-01"), PlaceCategory::Regular, &rules());
        assert_eq!(p.length, 5);
        assert_eq!(p.last_night(), night("2019-12-05"));
    }

    #[test]
    fn lengths_follow_the_rule_set() {
        let mut r = rules();
        r.regular_nights = 3;
        r.women_nights = 9;
        r.quarantine_nights = 0;
        assert_eq!(length_for(PlaceCategory::Regular, &r), 3);
        assert_eq!(length_for(PlaceCategory::Women, &r), 9);
        let p = Period::granted(night("2019-12-01"), PlaceCategory::Regular, &r);
        assert_eq!(p.quarantine_last_night(), night("2019-12-03"));
        assert_eq!(p.eligible_again_from(), night("2019-12-04"));
    }

    #[test]
    fn a_period_covers_its_nights_only() {
        let p = Period::new(night("2019-12-01"), 5, 2);
        assert!(!p.covers(night("2019-11-30")));
        assert!(p.covers(night("2019-12-01")));
        assert!(p.covers(night("2019-12-05")));
        assert!(!p.covers(night("2019-12-06")));
    }

    #[test]
    fn womens_places_are_for_women_and_overflow_never_for_stays() {
        for g in Gender::ALL {
            assert!(fits_stay(PlaceCategory::Regular, *g));
            assert_eq!(fits_stay(PlaceCategory::Women, *g), *g == Gender::Woman);
            assert!(!fits_stay(PlaceCategory::Overflow, *g));
        }
    }

    #[test]
    fn a_woman_is_offered_a_womens_place_first() {
        assert_eq!(
            stay_categories(None, Gender::Woman),
            Ok(vec![PlaceCategory::Women, PlaceCategory::Regular])
        );
        assert_eq!(
            stay_categories(None, Gender::Man),
            Ok(vec![PlaceCategory::Regular])
        );
        assert_eq!(
            stay_categories(None, Gender::Other),
            Ok(vec![PlaceCategory::Regular])
        );
        assert_eq!(
            stay_categories(Some(PlaceCategory::Regular), Gender::Woman),
            Ok(vec![PlaceCategory::Regular])
        );
        assert_eq!(
            stay_categories(Some(PlaceCategory::Women), Gender::Man),
            Err(Refusal::CategoryNotAllowed)
        );
        assert_eq!(
            stay_categories(Some(PlaceCategory::Overflow), Gender::Woman),
            Err(Refusal::CategoryNotAllowed)
        );
    }

    fn released(r: Release, checked_in: &[&str]) -> Vec<Night> {
        Period::new(night("2019-12-01"), 5, 2)
            .nights()
            .into_iter()
            .filter(|n| r.releases(*n, checked_in.iter().any(|c| night(c) == *n)))
            .collect()
    }

    #[test]
    fn example_5_an_early_end_releases_the_nights_after_tonight() {
        // Checked in on 12-02 and ended that night: 12-03..12-05 go.
        let r = Release::early_end(night("2019-12-02"));
        assert_eq!(
            released(r, &["2019-12-01", "2019-12-02"]),
            ["2019-12-03", "2019-12-04", "2019-12-05"].map(night)
        );
        // Not checked in tonight: tonight goes too; the night before stays
        // as it was, checked in or not.
        assert_eq!(
            released(r, &[]),
            ["2019-12-02", "2019-12-03", "2019-12-04", "2019-12-05"].map(night)
        );
    }

    #[test]
    fn a_no_show_ending_releases_the_nights_after_the_last_missed_one() {
        let r = Release::no_show_end(night("2019-12-02"));
        assert_eq!(
            released(r, &[]),
            ["2019-12-03", "2019-12-04", "2019-12-05"].map(night)
        );
    }

    #[test]
    fn example_6_a_void_releases_every_night_checked_in_or_not() {
        assert_eq!(
            released(Release::void(), &["2019-12-01", "2019-12-02"]),
            Period::new(night("2019-12-01"), 5, 2).nights()
        );
    }
}
