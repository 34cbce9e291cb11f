//! Cold nights and single-night placements (RULES.md §5, §6): how far
//! ahead a coordinator may declare a cold night, when the forecast
//! suggests one, when an overflow place is offered at all, and in which
//! order a single-night placement is offered the categories of place.

use super::kinds::{Gender, PlaceCategory};
use super::{Night, Refusal, RuleSet};

/// How far ahead a cold night can be declared: up to this many nights
/// after the current one.
pub const COLD_NIGHT_HORIZON: i64 = 7;

/// Whether `night` may be declared a cold night (or its declaration
/// widened or narrowed) while `current` is the current night: from the
/// current night up to [`COLD_NIGHT_HORIZON`] nights ahead, never a night
/// that is over.
pub fn may_declare(night: Night, current: Night) -> Result<(), Refusal> {
    let latest = current.plus(COLD_NIGHT_HORIZON);
    if night < current || night > latest {
        return Err(Refusal::NightOutOfRange {
            earliest: current,
            latest,
        });
    }
    Ok(())
}

/// Whether a forecast minimum (°C) makes a cold night: at or below the
/// rule set's `cold_night_threshold_c`.
pub fn is_cold(minimum_c: f64, rules: &RuleSet) -> bool {
    minimum_c <= rules.cold_night_threshold_c
}

/// Whether the service suggests a cold night: a forecast minimum is known
/// and it is cold. A suggestion never opens places; only a coordinator's
/// declaration does.
pub fn suggested(minimum_c: Option<f64>, rules: &RuleSet) -> bool {
    minimum_c.is_some_and(|m| is_cold(m, rules))
}

/// Whether a place in service and not held is free to be offered on a
/// night (RULES.md §2): an overflow place only where a cold night has
/// opened it for that night, any other place always.
pub fn offered(category: PlaceCategory, opened_for_the_night: bool) -> bool {
    category != PlaceCategory::Overflow || opened_for_the_night
}

/// The two kinds of single-night placement (RULES.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacementKind {
    /// Socialjouren or a coordinator, for the current night, with a reason.
    Emergency,
    /// On a declared cold night, by anyone allowed to do intake.
    ColdNight,
}

impl PlacementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Emergency => "emergency",
            Self::ColdNight => "cold_night",
        }
    }
}

/// The order in which categories are offered for a single night. Cold
/// nights use overflow places first (RULES.md §6); an emergency uses the
/// ordinary places first. Women's places only for women.
pub fn placement_order(kind: PlacementKind, gender: Gender) -> Vec<PlaceCategory> {
    let mut ordinary = Vec::new();
    if gender == Gender::Woman {
        ordinary.push(PlaceCategory::Women);
    }
    ordinary.push(PlaceCategory::Regular);
    match kind {
        PlacementKind::ColdNight => {
            let mut order = vec![PlaceCategory::Overflow];
            order.extend(ordinary);
            order
        }
        PlacementKind::Emergency => {
            ordinary.push(PlaceCategory::Overflow);
            ordinary
        }
    }
}

/// The free places a single-night placement may take, best first: only
/// those whose category is in `order` (see [`placement_order`]), by its
/// position there. Places of one category keep the order they came in.
pub fn best_first<T>(
    places: &mut Vec<T>,
    order: &[PlaceCategory],
    category: impl Fn(&T) -> Option<PlaceCategory>,
) {
    let rank = |p: &T| category(p).and_then(|c| order.iter().position(|o| *o == c));
    places.retain(|p| rank(p).is_some());
    places.sort_by_key(|p| rank(p));
}

/// As [`best_first`], but the beds of guests who may still arrive late
/// (tonight's reservations lapsed at the cutoff, not yet given away:
/// `awaited`) after every other free bed the placement may take, of any
/// category in `order`: such a bed is taken only when no other is free,
/// so that a late guest still finds their bed.
pub fn best_first_sparing<T>(
    places: &mut Vec<T>,
    order: &[PlaceCategory],
    category: impl Fn(&T) -> Option<PlaceCategory>,
    awaited: impl Fn(&T) -> bool,
) {
    let rank = |p: &T| category(p).and_then(|c| order.iter().position(|o| *o == c));
    places.retain(|p| rank(p).is_some());
    places.sort_by_key(|p| (awaited(p), rank(p)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Night {
        s.parse().unwrap()
    }

    #[test]
    fn a_cold_night_may_be_declared_from_tonight_up_to_a_week_ahead() {
        let tonight = n("2019-12-01");
        assert_eq!(may_declare(tonight, tonight), Ok(()));
        assert_eq!(may_declare(n("2019-12-08"), tonight), Ok(()));
        let out = Err(Refusal::NightOutOfRange {
            earliest: tonight,
            latest: n("2019-12-08"),
        });
        assert_eq!(may_declare(n("2019-12-09"), tonight), out);
        assert_eq!(may_declare(n("2019-11-30"), tonight), out);
    }

    #[test]
    fn the_forecast_suggests_a_cold_night_at_or_below_the_threshold() {
        // RULES.md §6: at or below cold_night_threshold_c, default −7 °C.
        let rules = RuleSet::defaults(n("2019-11-01"));
        assert!(is_cold(-7.0, &rules));
        assert!(is_cold(-12.5, &rules));
        assert!(!is_cold(-6.9, &rules));
        assert!(!is_cold(3.0, &rules));
        assert!(suggested(Some(-7.0), &rules));
        assert!(!suggested(Some(-6.5), &rules));
        assert!(!suggested(None, &rules));
        let milder = RuleSet {
            cold_night_threshold_c: -3.0,
            ..rules
        };
        assert!(is_cold(-5.0, &milder));
        assert!(suggested(Some(-3.0), &milder));
    }

    #[test]
    fn an_overflow_place_is_offered_only_where_opened() {
        assert!(offered(PlaceCategory::Overflow, true));
        assert!(!offered(PlaceCategory::Overflow, false));
        for c in [PlaceCategory::Regular, PlaceCategory::Women] {
            assert!(offered(c, false));
            assert!(offered(c, true));
        }
    }

    #[test]
    fn placement_kinds_are_written_as_the_api_names_them() {
        assert_eq!(PlacementKind::Emergency.as_str(), "emergency");
        assert_eq!(PlacementKind::ColdNight.as_str(), "cold_night");
    }

    #[test]
    fn cold_nights_fill_overflow_first_and_emergencies_last() {
        use PlaceCategory::*;
        assert_eq!(
            placement_order(PlacementKind::ColdNight, Gender::Man),
            vec![Overflow, Regular]
        );
        assert_eq!(
            placement_order(PlacementKind::ColdNight, Gender::Woman),
            vec![Overflow, Women, Regular]
        );
        assert_eq!(
            placement_order(PlacementKind::Emergency, Gender::Man),
            vec![Regular, Overflow]
        );
        assert_eq!(
            placement_order(PlacementKind::Emergency, Gender::Woman),
            vec![Women, Regular, Overflow]
        );
        assert_eq!(
            placement_order(PlacementKind::Emergency, Gender::Other),
            vec![Regular, Overflow]
        );
    }

    #[test]
    fn the_best_place_is_of_the_first_category_in_the_order() {
        use PlaceCategory::*;
        let free = vec![
            ("r1", Some(Regular)),
            ("w1", Some(Women)),
            ("o1", Some(Overflow)),
            ("r2", Some(Regular)),
            ("x", None),
            ("o2", Some(Overflow)),
        ];
        let ids = |order: &[PlaceCategory]| {
            let mut places = free.clone();
            best_first(&mut places, order, |p| p.1);
            places.into_iter().map(|p| p.0).collect::<Vec<_>>()
        };
        // A man on a cold night: overflow first, then regular; no women's
        // place, nothing of an unknown category.
        assert_eq!(
            ids(&placement_order(PlacementKind::ColdNight, Gender::Man)),
            ["o1", "o2", "r1", "r2"]
        );
        // A woman in an emergency: women's, regular, overflow last.
        assert_eq!(
            ids(&placement_order(PlacementKind::Emergency, Gender::Woman)),
            ["w1", "r1", "r2", "o1", "o2"]
        );
        assert!(ids(&[]).is_empty());
    }

    #[test]
    fn a_placement_spares_the_bed_of_a_guest_who_may_still_arrive() {
        use PlaceCategory::*;
        let order = placement_order(PlacementKind::Emergency, Gender::Man);
        // (label, category, awaited by a late guest)
        let mut places = vec![
            ("A1", Regular, true),
            ("A2", Regular, false),
            ("A3", Overflow, false),
            ("A4", Women, false),
        ];
        best_first_sparing(&mut places, &order, |p| Some(p.1), |p| p.2);
        let labels: Vec<&str> = places.iter().map(|p| p.0).collect();
        assert_eq!(labels, ["A2", "A3", "A1"]);
        // Only when no other bed is free is the awaited one taken.
        let mut places = vec![("A1", Regular, true), ("A4", Women, false)];
        best_first_sparing(&mut places, &order, |p| Some(p.1), |p| p.2);
        assert_eq!(places[0].0, "A1");
    }
}
